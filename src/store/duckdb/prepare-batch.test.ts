import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/event-factory.js';
import { storageOrder } from './prepare-batch.js';

describe('storageOrder', () => {
  it('groups events by which of reasoning, 5-minute and 1-hour cache writes they have, keeping the given order within each group', () => {
    const ev = (n: number, reasoning: number, w5m: number, w1h: number) =>
      makeEvent(n, { reasoning_tokens: reasoning, cache_write_5m_tokens: w5m, cache_write_1h_tokens: w1h });
    const events = [
      ev(1, 5, 10, 0),
      ev(2, 5, 0, 0),
      ev(3, 0, 0, 0),
      ev(4, 0, 10, 0),
      ev(5, 0, 0, 7),
      ev(6, 0, 0, 0),
      ev(7, 5, 0, 7),
      ev(8, 0, 10, 7),
      ev(9, 0, 10, 0),
    ];
    // none (3, 6), 1h (5), 5m (4, 9), 5m+1h (8), reasoning (2), reasoning+1h (7), reasoning+5m (1)
    expect(storageOrder(events).map((e) => e.input_tokens - 1000)).toEqual([3, 6, 5, 4, 9, 8, 2, 7, 1]);
  });
});
