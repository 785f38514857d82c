import { describe, expect, it } from 'vitest';
import { eventId } from '../../ledger/event-id.js';
import { makeEvent, randomEvents } from '../testing/event-factory.js';
import { freshLedgerPath, sql } from '../testing/ledger-file.js';
import { createDuckDbStore } from './duckdb-store.js';
import { SCHEMA_VERSION, wideEventsSql } from './schema.js';

const freshPath = () => freshLedgerPath('tl-ctx-');

describe('contexts', () => {
  it('stores each distinct context once, numbered in order of first appearance, across batches', async () => {
    const path = freshPath();
    const store = await createDuckDbStore(path);
    const a = makeEvent(1, { session_id: 's1', tags: { k: 'v' } });
    const b = makeEvent(2, { session_id: 's2', task_id: null });
    await store.append([a, b, makeEvent(3, { session_id: 's1', tags: { k: 'v' } })]);
    await store.append([
      makeEvent(4, { session_id: 's2', task_id: null }),
      makeEvent(5, { session_id: 's3' }),
    ]);
    await store.close();
    const rows = await sql(
      path,
      'SELECT e.context_id, c.session_id FROM events e JOIN contexts c USING (context_id) ORDER BY e.ts',
    );
    const ids = rows.map((r) => r[0]);
    expect(new Set(ids).size).toBe(3);
    expect(rows.map((r) => r[1])).toEqual(['s1', 's2', 's1', 's2', 's3']);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[1]).toBe(ids[3]);
    expect([ids[0], ids[1], ids[4]]).toEqual([1, 2, 3]);
  });

  it('reuses, in a new process, the contexts the last one wrote (tags, nulls and rate cards included)', async () => {
    const path = freshPath();
    const events = randomEvents(400, 7);
    const first = await createDuckDbStore(path);
    await first.append(events);
    await first.close();
    const [[written]] = (await sql(path, 'SELECT count(*) FROM contexts')) as [[bigint]];
    // The same calls again under other ids: every context is one the ledger holds.
    const again = events.map((e, i) => ({ ...e, event_id: eventId('again', i) }));
    const second = await createDuckDbStore(path);
    expect(await second.append(again)).toMatchObject({ inserted: 400, duplicates: 0 });
    await second.close();
    expect(await sql(path, 'SELECT count(*) FROM contexts')).toEqual([[written]]);
    const pairs = await sql(
      path,
      `SELECT bool_and(a.context_id = b.context_id), count(*) FROM events a JOIN events b
       ON a.ts = b.ts AND a.ingested_at = b.ingested_at AND a.event_id < b.event_id`,
    );
    expect(pairs).toEqual([[true, 400n]]);
  });

  it("reuses each source's contexts in a new process, whichever source it appends first", async () => {
    const path = freshPath();
    const of = (source: string, from: number) =>
      randomEvents(120, from).map((e, i) => ({ ...e, source, event_id: eventId(source, from + i) }));
    const first = await createDuckDbStore(path);
    await first.append([...of('demo', 1), ...of('claude-code', 2)]);
    await first.close();
    const [[written]] = (await sql(path, 'SELECT count(*) FROM contexts')) as [[bigint]];
    // Contexts are read by source, at the first batch of each: one source, then the other, then both.
    const second = await createDuckDbStore(path);
    const again = (source: string, from: number, tag: string) =>
      of(source, from).map((e, i) => ({ ...e, event_id: eventId(tag, from * 1000 + i) }));
    await second.append(again('claude-code', 2, 'x'));
    await second.append(again('demo', 1, 'y'));
    await second.append([...again('demo', 1, 'z'), ...again('claude-code', 2, 'z')]);
    await second.close();
    expect(await sql(path, 'SELECT count(*) FROM contexts')).toEqual([[written]]);
    expect(await sql(path, 'SELECT count(*) FROM events')).toEqual([[720n]]);
  });

  it('writes no context for rows the ledger already holds, and the new ones a mixed batch brings', async () => {
    const path = freshPath();
    const store = await createDuckDbStore(path);
    const held = makeEvent(1, { session_id: 'held' });
    await store.append([held]);
    await store.close();
    const reopened = await createDuckDbStore(path);
    const onlyHeld = makeEvent(1, { session_id: 'held' });
    const fresh = [makeEvent(2, { session_id: 'new' }), makeEvent(3, { session_id: 'held' })];
    // The held row comes first in the batch: its context is the batch's first, and it is already written.
    expect(await reopened.append([onlyHeld, ...fresh])).toMatchObject({ inserted: 2, duplicates: 1 });
    await reopened.close();
    const rows = await sql(
      path,
      'SELECT c.context_id, c.session_id, count(e.event_id) FROM contexts c LEFT JOIN events e USING (context_id) GROUP BY ALL ORDER BY 1',
    );
    expect(rows).toEqual([
      [1, 'held', 2n],
      [2, 'new', 1n],
    ]);
  });

  it('migrates a schema-1 ledger (context columns in events) without changing a single event', async () => {
    const path = freshPath();
    const events = randomEvents(400, 7);
    const store = await createDuckDbStore(path);
    await store.append(events);
    const before = await store.events({});
    const report = await store.query({ dimensions: ['team', 'model'] });
    await store.close();
    await toSchema1(path);
    const cols = await sql(
      path,
      `SELECT list(column_name ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'events'`,
    );
    expect(String(cols[0]![0])).toContain('session_id');
    const reopened = await createDuckDbStore(path);
    expect(await reopened.events({})).toEqual(before);
    expect(await reopened.query({ dimensions: ['team', 'model'] })).toEqual(report);
    expect(await reopened.append(events.slice(0, 10))).toMatchObject({ inserted: 0, duplicates: 10 });
    await reopened.close();
    const version = await sql(path, `SELECT value FROM meta WHERE key = 'schema_version'`);
    expect(version[0]![0]).toBe(String(SCHEMA_VERSION));
  });

  it("migrates a ledger too large for the store's memory pool: the one-off migration is not held to it", async () => {
    const path = freshPath();
    const events = randomEvents(30_000, 11);
    const store = await createDuckDbStore(path);
    await store.append(events);
    const report = await store.query({ dimensions: ['team', 'model'] });
    await store.close();
    await toSchema1(path);
    // 16MB ran the schema-1 migration of these events out of memory while it was held to the pool.
    const reopened = await createDuckDbStore(path, { memoryLimit: '16MB' });
    expect(await reopened.count()).toBe(30_000);
    await reopened.close();
    const after = await createDuckDbStore(path); // reports are not the point here: the default pool
    expect(await after.query({ dimensions: ['team', 'model'] })).toEqual(report);
    await after.close();
  });
});

/** Rewrites a ledger in the schema-1 layout: one wide events table in EVENT_COLUMNS order, no contexts table, status in the rollup. */
async function toSchema1(path: string): Promise<void> {
  await sql(
    path,
    'DROP VIEW ledger',
    'DROP VIEW ledger_pico',
    `CREATE TABLE events_wide AS ${wideEventsSql()} ORDER BY e.ts`,
    'DROP TABLE events',
    'DROP TABLE contexts',
    'ALTER TABLE events_wide RENAME TO events',
    'ALTER TABLE rollup_day ADD COLUMN status VARCHAR',
    `UPDATE meta SET value = '1' WHERE key = 'schema_version'`,
  );
}
