import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/event-factory.js';
import { storageOrder } from './append.js';

describe('storageOrder', () => {
  it('puts events without reasoning or 5-minute cache writes first, keeping the given order within each group', () => {
    const plain = (n: number) => makeEvent(n, { reasoning_tokens: 0, cache_write_5m_tokens: 0 });
    const writes = (n: number) => makeEvent(n, { reasoning_tokens: 0, cache_write_5m_tokens: 10 });
    const reasons = (n: number) => makeEvent(n, { reasoning_tokens: 5, cache_write_5m_tokens: 0 });
    const both = (n: number) => makeEvent(n, { reasoning_tokens: 5, cache_write_5m_tokens: 10 });
    const events = [both(1), reasons(2), plain(3), writes(4), plain(5), reasons(6), writes(7)];
    expect(storageOrder(events).map((e) => e.input_tokens - 1000)).toEqual([3, 5, 4, 7, 2, 6, 1]);
  });
});
