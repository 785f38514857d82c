import { describe, expect, it } from 'vitest';
import type { CallContent } from '../../ledger/call-content.js';
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
});
