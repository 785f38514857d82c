import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../ledger/event.js';
import { createDuckDbStore } from '../duckdb/duckdb-store.js';
import { runImportRecordsSuite } from '../import-records.case.test.js';
import { runStoreSuite } from '../store.case.test.js';
import { DAY, HOUR, makeEvent, randomEvents, T0 } from '../testing/event-factory.js';
import { bindPositional } from './clickhouse-sql.js';
import { CLICKHOUSE_STORE, createClickHouseStore } from './clickhouse-store.js';
import { eventRow } from './rows.js';
import { startChdbServer } from './testing/chdb-server.js';

// ClickHouse's own engine (chDB) behind its HTTP interface, reached by the official client: the store's SQL runs on
// what a ClickHouse server runs. One server; each store gets a database of its own.
let server: Awaited<ReturnType<typeof startChdbServer>>;
let databases = 0;
const freshUrl = () => `${server.url}/ledger_${++databases}`;

beforeAll(async () => {
  server = await startChdbServer();
});
afterAll(async () => {
  await server.close();
});

runStoreSuite('clickhouse', () => createClickHouseStore(freshUrl()));
runImportRecordsSuite('clickhouse', () => createClickHouseStore(freshUrl()));

describe('ClickHouse store', () => {
  it('counts an event once when two instances append it at the same time', async () => {
    const url = freshUrl();
    const [a, b] = await Promise.all([createClickHouseStore(url), createClickHouseStore(url)]);
    expect(a.id).toBe(CLICKHOUSE_STORE);
    const events = randomEvents(400, 3);
    // Both see none of them stored, and both insert all 400: the table holds each twice until parts merge.
    const [ra, rb] = await Promise.all([a.append(events), b.append(events.slice(100))]);
    expect(ra.inserted + ra.duplicates).toBe(400);
    expect(rb.inserted + rb.duplicates).toBe(300);
    expect(await a.count()).toBe(400);
    const expected = events.reduce((sum, e) => sum + (e.cost_usd ?? 0n), 0n);
    expect((await b.query({ dimensions: [] })).totals.cost_usd).toBe(expected);
    expect((await b.query({ dimensions: [] })).totals.events).toBe(400);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps what it stored across reopening', async () => {
    const url = freshUrl();
    const first = await createClickHouseStore(url);
    await first.append([makeEvent(1), makeEvent(2)]);
    await first.close();
    const again = await createClickHouseStore(url);
    expect(await again.append([makeEvent(2), makeEvent(3)])).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(await again.count()).toBe(3);
    await again.close();
  });

  it('refuses a URL that names no database, without showing its password', async () => {
    const bare = server.url.replace('http://', 'http://ada:s3cret@');
    await expect(createClickHouseStore(bare)).rejects.toMatchObject({
      code: 'STORE_OPEN_FAILED',
      message: expect.stringContaining('names no database'),
    });
    await expect(createClickHouseStore(bare)).rejects.toMatchObject({
      message: expect.not.stringContaining('s3cret'),
    });
  });

  it('says which statement ClickHouse refused', async () => {
    await expect(createClickHouseStore('http://127.0.0.1:1/tokenledger')).rejects.toMatchObject({
      code: 'STORE_SQL_FAILED',
      message: expect.stringContaining('creating database tokenledger'),
    });
  });

  it("writes a canonical CSV quoted as DuckDB's: the empty string, and text a reader could misread", async () => {
    const events = [
      makeEvent(1, { team: '', project: 'repo#7', tags: { ticket: '#12', note: '' } }),
      makeEvent(2, { team: 'a,b', user: 'say "hi"', tags: { ticket: 'T-1' } }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'tl-ch-csv-'));
    const files: string[] = [];
    for (const [name, store] of [
      ['duckdb', await createDuckDbStore(':memory:')],
      ['clickhouse', await createClickHouseStore(freshUrl())],
    ] as const) {
      await store.append(events);
      await store.export({ format: 'csv', path: join(dir, `${name}.csv`) });
      await store.close();
      files.push(readFileSync(join(dir, `${name}.csv`), 'utf8'));
    }
    expect(files[0]).toContain('"repo#7"');
    expect(files[1]).toBe(files[0]);
  });
});

describe('ClickHouse rollups', () => {
  const client = (url: string) => createClient({ url });
  const costOf = (events: readonly UsageEvent[]) => events.reduce((sum, e) => sum + (e.cost_usd ?? 0n), 0n);
  const builtDays = async (url: string) => {
    const c = client(url);
    const rows = await (
      await c.query({
        query: 'SELECT toYYYYMMDD(day) AS d, max(built_at) AS b FROM rollup_team GROUP BY d ORDER BY d',
        format: 'JSONEachRow',
      })
    ).json<{ d: number; b: string }>();
    await c.close();
    return new Map(rows.map((r) => [Number(r.d), r.b]));
  };

  it("builds each day once when reports ask at once, as a dashboard's panels do", async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    await store.append(randomEvents(300, 5, 20));
    const results = await Promise.all(
      (['team', 'model', 'user', 'session_id'] as const).map((d) => store.query({ dimensions: [d] })),
    );
    expect(results.map((r) => r.totals.events)).toEqual([300, 300, 300, 300]);
    // A day built again swaps its partition for a new part and leaves the old one inactive: none here.
    const c = client(url);
    const parts = await (
      await c.query({
        query: `SELECT active, count() AS n FROM system.parts
                WHERE database = currentDatabase() AND table LIKE 'rollup\\_%' AND table != 'rollup_stale'
                GROUP BY active`,
        format: 'JSONEachRow',
      })
    ).json<{ active: boolean | number; n: string }>();
    await c.close();
    expect(parts.map((p) => [Boolean(p.active), Number(p.n)])).toEqual([[true, 3 * 20]]);
    await store.close();
  });

  it('reads ended days from a rollup built when a report first needs them, and today from the events', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    const past = randomEvents(300, 5, 3); // 2026-01-05 to 2026-01-07
    const today = [
      makeEvent(1, { ts: Date.now() * 1000 - 60_000_000 }),
      makeEvent(2, { ts: Date.now() * 1000 }),
    ];
    await store.append([...past, ...today]);
    expect(await builtDays(url)).toEqual(new Map());
    const { totals } = await store.query({ dimensions: ['team'] });
    expect(totals.cost_usd).toBe(costOf([...past, ...today]));
    expect(totals.events).toBe(302);
    expect([...(await builtDays(url)).keys()]).toEqual([20260105, 20260106, 20260107]);

    // A row planted in a built day shows in a report by day, and not in one by hour, which reads the events.
    const c = client(url);
    await c.command({
      query: `INSERT INTO rollup_team (day, team, cost_usd, events, built_at)
              VALUES ('2026-01-06 00:00:00', 'planted', 7, 1, now64(6))`,
    });
    await c.close();
    const byTeam = await store.query({ dimensions: ['team'], since: T0, until: T0 + 3 * DAY });
    expect(byTeam.rows.find((r) => r.dims.team === 'planted')).toMatchObject({ cost_usd: 7n, events: 1 });
    const byHour = await store.query({
      dimensions: ['team'],
      bucket: 'hour',
      since: T0,
      until: T0 + 3 * DAY,
    });
    expect(byHour.rows.some((r) => r.dims.team === 'planted')).toBe(false);
    await store.close();
  });

  it('reads a day written after its rollup was built from its events, and builds it again', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    const events = randomEvents(200, 8, 2);
    await store.append(events);
    await store.query({ dimensions: [] });
    const before = (await builtDays(url)).get(20260105);
    expect(before).toBeDefined();

    const late = makeEvent(500, { ts: T0 + 5 * HOUR, team: 'late' });
    await store.append([late]);
    await store.attribute([
      { event_id: events[0]!.event_id, ts: events[0]!.ts, agent: null, task_id: 't-9' },
    ]);
    const { rows, totals } = await store.query({ dimensions: ['team'], since: T0, until: T0 + 2 * DAY });
    expect(totals.cost_usd).toBe(costOf([...events, late]));
    expect(rows.find((r) => r.dims.team === 'late')?.events).toBe(1);
    expect((await builtDays(url)).get(20260105)! > before!).toBe(true);
    await store.close();
  });

  it('a report misses an append whose day mark a crash lost, until the log hands the batch over again', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    const first = randomEvents(50, 11, 1);
    await store.append(first);
    await store.query({ dimensions: [] }); // builds 2026-01-05
    // The crash: the batch's events are in, its day mark is not.
    const lost = makeEvent(900, { ts: T0 + 7 * HOUR });
    const c = client(url);
    await c.insert({ table: 'events', values: [eventRow(lost)], format: 'JSONEachRow' });
    await c.close();
    expect((await store.query({ dimensions: [] })).totals.events).toBe(50);
    // Start-up replays the log: the batch is appended again, all of it stored already, and its day is marked.
    expect(await store.append([lost])).toMatchObject({ inserted: 0, duplicates: 1 });
    const { totals } = await store.query({ dimensions: [] });
    expect(totals.events).toBe(51);
    expect(totals.cost_usd).toBe(costOf([...first, lost]));
    await store.close();
  });
});

describe('bindPositional', () => {
  it('turns positional placeholders into typed named ones, in order', () => {
    expect(bindPositional('SELECT ? AS a, ? AS b, ? AS c, ? AS d', ['x', 5, 2.5, 12n])).toEqual([
      'SELECT {p0:String} AS a, {p1:Int64} AS b, {p2:Float64} AS c, {p3:Int64} AS d',
      { p0: 'x', p1: 5, p2: 2.5, p3: '12' },
    ]);
  });

  it('leaves a question mark inside quotes alone', () => {
    expect(bindPositional(`SELECT 'why?', \`a?\`, 'it\\'s?', ?`, ['v'])).toEqual([
      `SELECT 'why?', \`a?\`, 'it\\'s?', {p0:String}`,
      { p0: 'v' },
    ]);
  });

  it('refuses parameters that do not match the placeholders', () => {
    expect(() => bindPositional('SELECT ?', [])).toThrow(/placeholders/);
    expect(() => bindPositional('SELECT 1', ['x'])).toThrow(/1 parameters for 0 placeholders/);
  });
});
