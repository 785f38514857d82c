import { describe, expect, it } from 'vitest';
import { makeEvent, randomEvents } from '../testing/event-factory.js';
import { adoptRateIds, DetachedPreparer, storageOrder } from './prepare-batch.js';
import { RateCardRegistry } from './rate-cards.js';

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

describe('adoptRateIds', () => {
  it("maps a batch prepared elsewhere to the store's rate ids and keeps its rollup sums, which name no rate", () => {
    const events = randomEvents(200, 5, 2);
    const prepared = new DetachedPreparer(true, true).prepare(events);
    const store = new RateCardRegistry();
    // The store knows another card already, so its ids are not the preparer's.
    store.idOf({ ...events.find((e) => e.rates)!.rates!, input: 1n });
    const detachedIds = Int32Array.from(prepared.staged!.arrays.get('rate_id') as Int32Array);
    const adopted = adoptRateIds(prepared, store);
    const ids = adopted.staged!.arrays.get('rate_id') as Int32Array;
    for (let i = 0; i < ids.length; i++)
      expect(store.card(ids[i]!) ?? null).toEqual(prepared.cards!.get(detachedIds[i]!) ?? null);
    expect(adopted.rollups?.length).toBe(3);
    expect(adopted.rollups).toBe(prepared.rollups);
  });
});
