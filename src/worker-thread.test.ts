import { describe, expect, it } from 'vitest';
import { owned } from './worker-thread.js';

describe('owned', () => {
  it('moves only a buffer that no other view can share', () => {
    // Larger than Node's pool (8 KiB up to Node 22, 64 KiB from 24), so Buffer.concat gives it memory of its own.
    const joined = Buffer.concat([Buffer.alloc(Buffer.poolSize, 1), Buffer.alloc(Buffer.poolSize, 2)]);
    expect(owned(joined)).toEqual([joined.buffer]);
    // From Node's shared allocation pool, a part of a larger buffer, or too small to have its own memory: copied.
    expect(owned(Buffer.from('small'))).toEqual([]);
    expect(owned(joined.subarray(0, 100))).toEqual([]);
    expect(owned(joined.subarray(1))).toEqual([]);
    // Unless the caller allocated it for itself alone; the pool still never moves.
    expect(owned(joined.subarray(0, 100), true)).toEqual([joined.buffer]);
    expect(owned(Buffer.from('small'), true)).toEqual([]);
  });
});
