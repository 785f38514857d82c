import { describe, expect, it } from 'vitest';
import type { CallContent } from '../../ledger/call-content.js';
import type { Dimension } from '../query.js';
import { DAY, makeEvent, T0 } from '../testing/event-factory.js';
import { freshLedgerPath, sql } from '../testing/ledger-file.js';
import { createDuckDbStore } from './duckdb-store.js';

const content = (i: number, over: Partial<CallContent> = {}): CallContent => ({
  event_id: i.toString(16).padStart(16, '0'),
  ts: 1_767_225_600_000_000 + i,
  request: `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"question ${i} — ünïcode"}]}`,
  completion: `answer ${i}`,
  ...over,
});

describe('call content in the DuckDB store', () => {
  it('is read back by event id and time, and survives reopening the ledger', async () => {
    const path = freshLedgerPath('tl-content-');
    const store = await createDuckDbStore(path);
    expect(await store.storeContent([content(1), content(2)])).toEqual({ inserted: 2 });
    await store.close();
    const reopened = await createDuckDbStore(path);
    expect(await reopened.content(content(2).event_id, content(2).ts)).toEqual(content(2));
    await reopened.close();
  });

  it('stores a call once when the log hands it over again (replay after a crash)', async () => {
    const path = freshLedgerPath('tl-content-');
    const store = await createDuckDbStore(path);
    await store.storeContent([content(1)]);
    expect(await store.storeContent([content(1, { completion: 'other' }), content(3)])).toEqual({
      inserted: 1,
    });
    expect((await store.content(content(1).event_id, content(1).ts))?.completion).toBe('answer 1');
    await store.close();
    expect(await sql(path, 'SELECT count(*) FROM call_content')).toEqual([[2n]]);
  });

  it('answers null for a call without stored text, including the same id at another time', async () => {
    const store = await createDuckDbStore(freshLedgerPath('tl-content-'));
    await store.storeContent([content(1)]);
    expect(await store.content(content(1).event_id, content(1).ts + 1)).toBeNull();
    expect(await store.content(content(9).event_id, content(9).ts)).toBeNull();
    await store.close();
  });

  it("deletes the text of the calls a filter and a time range choose, one person's on request, and nothing else", async () => {
    const store = await createDuckDbStore(freshLedgerPath('tl-content-'));
    // Alice and Bob, a call a day for four days, each with its text; one of Alice's calls kept no text.
    const events = Array.from({ length: 8 }, (_, n) =>
      makeEvent(n, { ts: T0 + Math.floor(n / 2) * DAY + n, user: n % 2 ? 'bob' : 'alice', team: 'web' }),
    );
    await store.append(events);
    const texts = events
      .slice(1)
      .map((e) => ({ event_id: e.event_id, ts: e.ts, request: '{}', completion: e.user! }));
    await store.storeContent(texts);
    const kept = async () =>
      (await Promise.all(events.map((e) => store.content(e.event_id, e.ts)))).map(
        (c) => c?.completion ?? null,
      );

    const alice = [{ dimension: 'user' as const, values: ['alice'] }];
    expect(await store.purgeContent({ filters: alice, until: T0 + 2 * DAY })).toEqual({ deleted: 1 });
    expect(await kept()).toEqual([null, 'bob', null, 'bob', 'alice', 'bob', 'alice', 'bob']);
    expect(await store.purgeContent({ filters: alice })).toEqual({ deleted: 2 });
    expect(await kept()).toEqual([null, 'bob', null, 'bob', null, 'bob', null, 'bob']);
    // A retention's age: every call before the time, whoever made it.
    expect(await store.purgeContent({ until: T0 + 3 * DAY })).toEqual({ deleted: 3 });
    expect(await kept()).toEqual([null, null, null, null, null, null, null, 'bob']);
    // The events, their costs and the reports stay.
    expect(await store.count()).toBe(8);
    expect((await store.events({})).map((e) => e.cost_usd)).toEqual(events.map((e) => e.cost_usd).reverse());
    await expect(
      store.purgeContent({ filters: [{ dimension: 'squad' as Dimension, values: ['x'] }] }),
    ).rejects.toThrow(/squad/);
    await store.close();
  });
});
