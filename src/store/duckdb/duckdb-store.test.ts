import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { runImportRecordsSuite } from '../import-records.case.test.js';
import { runStoreSuite } from '../store.case.test.js';
import { makeEvent, randomEvents } from '../testing/event-factory.js';
import { createDuckDbStore, DUCKDB_STORE } from './duckdb-store.js';

const freshPath = () => join(mkdtempSync(join(tmpdir(), 'tl-duckdb-')), 'sub', 'ledger.duckdb');

runStoreSuite('duckdb', () => createDuckDbStore(freshPath()));
runImportRecordsSuite('duckdb', () => createDuckDbStore(':memory:'));
// What the canonical importer opens: rollups rebuilt from the events before a report reads them, and at close.
runStoreSuite('duckdb, rollups deferred', () => createDuckDbStore(freshPath(), { deferRollups: true }));

describe('DuckDB store', () => {
  it('persists events and rate cards across reopening, and still deduplicates', async () => {
    const path = freshPath();
    const events = randomEvents(500, 21);
    const first = await createDuckDbStore(path);
    expect(first.id).toBe(DUCKDB_STORE);
    await first.append(events.slice(0, 300));
    await first.close();
    const second = await createDuckDbStore(path);
    expect(await second.append(events)).toMatchObject({ inserted: 200, duplicates: 300 });
    const back = await second.events({});
    expect(back).toHaveLength(500);
    expect(new Map(back.map((e) => [e.event_id, e]))).toEqual(new Map(events.map((e) => [e.event_id, e])));
    await second.close();
    await expect(second.count()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('keeps one event per (event_id, ts) within a batch: the same id at another ts is another event', async () => {
    const store = await createDuckDbStore(freshPath());
    const a = makeEvent(1);
    const later = { ...a, ts: a.ts + 1 };
    const b = makeEvent(2);
    expect(await store.append([a, later, a, b, later, b, later])).toMatchObject({
      inserted: 3,
      duplicates: 4,
    });
    expect(await store.append([later, makeEvent(3)])).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(await store.count()).toBe(4);
    await store.close();
  });

  it('says which events it holds, each by its id at its ts, in one read', async () => {
    const store = await createDuckDbStore(freshPath());
    const [a, b, c] = [makeEvent(1), makeEvent(2), makeEvent(3)];
    await store.append([a, b]);
    const held = await store.held([
      { event_id: a.event_id, ts: a.ts },
      // Stored, but at another ts: another event.
      { event_id: b.event_id, ts: b.ts + 1 },
      { event_id: c.event_id, ts: c.ts },
      // Not in the ledger's form: no stored event has it.
      { event_id: 'not-an-id', ts: a.ts },
    ]);
    expect(held).toEqual(new Set([a.event_id]));
    expect(await store.held([])).toEqual(new Set());
    await store.close();
  });

  it('writes Parquet with exact DECIMAL money and a public ledger view for people opening the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-duckdb-'));
    const path = join(dir, 'ledger.duckdb');
    const events = randomEvents(200, 4);
    const store = await createDuckDbStore(path);
    await store.append(events);
    await store.export({ format: 'parquet', path: join(dir, 'out.parquet') });
    await store.close();
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    const want = events.reduce((s, e) => s + (e.cost_usd ?? 0n), 0n);
    const parquet = await c.runAndReadAll(
      `SELECT sum(cost_usd)::VARCHAR, count(*) FROM '${join(dir, 'out.parquet')}'`,
    );
    expect(parquet.getRows()[0]).toEqual([
      `${want / 10n ** 12n}.${(want % 10n ** 12n).toString().padStart(12, '0')}`,
      200n,
    ]);
    const view = await c.runAndReadAll(`SELECT event_id, cost_usd::VARCHAR FROM ledger WHERE event_id = ?`, [
      events[0]!.event_id,
    ]);
    expect(view.getRows()).toHaveLength(1);
    c.closeSync();
    db.closeSync();
  });

  it('only ever binds user text: quotes in filter values and tag keys are data, not SQL', async () => {
    const store = await createDuckDbStore(freshPath());
    await store.append([makeEvent(1, { team: "o'neil", tags: { 'ci.job': 'x\'y"' } }), makeEvent(2)]);
    const hostile = await store.query({
      dimensions: [],
      filters: [{ dimension: 'team', values: ["x' OR 1=1 --"] }],
    });
    expect(hostile.rows).toEqual([]);
    const quoted = await store.query({
      dimensions: ['tag.ci.job'],
      filters: [
        { dimension: 'team', values: ["o'neil"] },
        { dimension: 'tag.ci.job', values: ['x\'y"'] },
      ],
    });
    expect(quoted.rows.map((r) => r.dims)).toEqual([{ 'tag.ci.job': 'x\'y"' }]);
    await store.close();
  });
});
