import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codexRequest } from '../../test/gateway/codex-request.js';
import { decode, decodeSync } from './content-coding.js';

const CODEX_ZSTD = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/gateway/codex-responses-request.json.zst'),
);

describe('decode (a serving thread) and decodeSync (a worker)', () => {
  it('decode lets the event loop turn between slices of a zstd body; both give the same bytes', async () => {
    // 21,373 compressed bytes: two slices.
    let served = false;
    const decoding = decode('zstd', CODEX_ZSTD, 1 << 20);
    setImmediate(() => {
      served = true;
    });
    const body = await decoding;
    expect(served).toBe(true);
    expect(body.toString('utf8')).toBe(codexRequest());
    expect(decodeSync('zstd', CODEX_ZSTD, 1 << 20).equals(body)).toBe(true);
  });
});
