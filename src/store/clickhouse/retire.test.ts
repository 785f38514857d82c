import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../ledger/event.js';
import type { Query } from '../query.js';
import type { Store } from '../store.js';
import { DAY, HOUR, makeEvent, randomEvents, T0 } from '../testing/event-factory.js';
import { ClickHouseSql } from './clickhouse-sql.js';
import { createClickHouseStore } from './clickhouse-store.js';
import { markWritten } from './rollup.js';
import { eventRow } from './rows.js';
import { startChdbServer } from './testing/chdb-server.js';

let server: Awaited<ReturnType<typeof startChdbServer>>;
let databases = 0;
const freshUrl = () => `${server.url}/retire_${++databases}`;

beforeAll(async () => {
  server = await startChdbServer();
});
afterAll(async () => {
  await server.close();
});

const MARCH = Date.UTC(2026, 2, 1) * 1000;
// 2026-01-05 to 2026-03-26, a GPU pool's energy readings among them, and calls of every month.
const calls = randomEvents(900, 7, 80);
// Two days before the first call, a day with one reading only, computed at $0 with no rate card (as an imported
// record may come): it has no FOCUS row, and the FOCUS sums must still hold its day.
const noCard = { cost_source: 'computed', rates: null, cost_usd: 0n, cost_input: 0n } as const;
const zeroParts = { cost_cache_read: 0n, cost_cache_write: 0n, cost_output: 0n };
const energy = [-2, 0, 20, 40, 60, 79].map((d, i) =>
  makeEvent(9000 + i, {
    ts: T0 + d * DAY + 3 * HOUR,
    input_tokens: 0,
    cache_read_tokens: 0,
    output_tokens: 0,
    energy_j: 1000 + i,
    energy_source: 'measured',
    ...(d < 0 ? { ...noCard, ...zeroParts } : {}),
  }),
);
const retiredOf = (events: readonly UsageEvent[]) => events.filter((e) => e.ts < MARCH);

/** Reports the daily sums answer: they must read the same whether the months' events are kept or not. */
const SUMMED: Query[] = [
  { dimensions: [] },
  { dimensions: ['team'], bucket: 'day' },
  { dimensions: ['model', 'user'], since: Date.UTC(2026, 0, 1) * 1000, until: Date.UTC(2026, 3, 1) * 1000 },
  { dimensions: ['session_id'], bucket: 'month', since: T0, until: T0 + 70 * DAY },
  // Mid-day starts only where the calls are kept.
  { dimensions: ['project'], top: 2, since: Date.UTC(2026, 2, 1, 5) * 1000 },
];

async function reports(store: Store, queries = SUMMED) {
  return Promise.all([...queries.map((q) => store.query(q)), store.energy({ dimensions: ['model'] })]);
}

/** FOCUS files (docs/focus.md) of the whole ledger and of February on, their rows sorted: tied rows may swap. */
async function focusFiles(store: Store): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-retire-focus-'));
  const out: string[][] = [];
  for (const [i, range] of [{}, { since: Date.UTC(2026, 1, 1) * 1000, until: MARCH + 5 * DAY }].entries()) {
    const path = join(dir, `${i}.csv`);
    const { rows } = await store.export({ format: 'focus', path, ...range });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(rows + 1);
    out.push(lines.sort());
  }
  return out;
}

async function partitions(url: string): Promise<string[]> {
  const c = createClient({ url });
  const rows = await (
    await c.query({
      query: `SELECT DISTINCT partition_id AS p FROM system.parts
              WHERE database = currentDatabase() AND table = 'events' AND active ORDER BY p`,
      format: 'JSONEachRow',
    })
  ).json<{ p: string }>();
  await c.close();
  return rows.map((r) => r.p);
}

describe('retiring raw events on ClickHouse', () => {
  it('drops the events of months ended before the time; every report the daily sums answer stays', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    await store.append([...calls, ...energy]);
    const kept = await reports(store);
    const focus = await focusFiles(store);
    expect(focus[0]!.length).toBeGreaterThan(1000);
    const costs = await store.records!.computedCosts({});
    expect(costs.reduce((n, r) => n + r.events, 0)).toBe(calls.length + energy.length);
    expect(await partitions(url)).toEqual(['202601', '202602', '202603']);

    const r = await store.retireRaw!(Date.UTC(2026, 2, 20) * 1000, 0);
    expect(r).toEqual({ keptFrom: MARCH, events: retiredOf([...calls, ...energy]).length });
    expect(r.events).toBeGreaterThan(500);
    expect(await partitions(url)).toEqual(['202603']);
    expect(await store.count()).toBe(calls.length + energy.length - r.events);
    expect(await reports(store)).toEqual(kept);
    // The FOCUS dataset and what reconcile sets against invoices too, each from daily sums of its own.
    expect(await focusFiles(store)).toEqual(focus);
    expect(await store.records!.computedCosts({})).toEqual(costs);
    // The newest calls kept are listed as before.
    const newest = await store.events({ limit: 5 });
    expect(newest.map((e) => e.ts)).toEqual(
      [...calls, ...energy]
        .map((e) => e.ts)
        .sort((a, b) => b - a)
        .slice(0, 5),
    );

    // Again to the same month: nothing more to drop. To a later one: the horizon moves.
    expect(await store.retireRaw!(Date.UTC(2026, 2, 31) * 1000, 0)).toEqual({ keptFrom: MARCH, events: 0 });
    expect(await store.retireRaw!(Date.UTC(2026, 3, 2) * 1000, 0)).toMatchObject({
      keptFrom: Date.UTC(2026, 3, 1) * 1000,
    });
    // March is retired now, so a report may start in its middle no more (the next test); the rest still agree.
    const wholeDays = SUMMED.slice(0, -1);
    expect(await reports(store, wholeDays)).toEqual([...kept.slice(0, wholeDays.length), kept.at(-1)]);
    expect(await store.count()).toBe(0);
    await store.close();
  });

  it('builds the days no report has read before their events go', async () => {
    const store = await createClickHouseStore(freshUrl());
    await store.append(calls);
    await store.retireRaw!(MARCH, 0);
    const byTeam = await store.query({ dimensions: ['team'], until: MARCH });
    const expected = new Map<string | null, bigint>();
    for (const e of retiredOf(calls)) expected.set(e.team, (expected.get(e.team) ?? 0n) + (e.cost_usd ?? 0n));
    expect(new Map(byTeam.rows.map((r) => [r.dims.team ?? null, r.cost_usd]))).toEqual(expected);
    expect(byTeam.totals.events).toBe(retiredOf(calls).length);
    await store.close();
  });

  it('refuses reads that need single calls before the horizon, and answers them from it on', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    await store.append(calls);
    await store.retireRaw!(MARCH, 0);
    const retired = { code: 'STORE_RAW_RETIRED', message: expect.stringContaining('before 2026-03-01') };
    const feb = Date.UTC(2026, 1, 1) * 1000;
    // By what no rollup keeps, by hour, by local day, or from the middle of a retired day.
    await expect(store.query({ dimensions: ['task_id'] })).rejects.toMatchObject(retired);
    await expect(store.query({ dimensions: ['tag.repo'], since: feb })).rejects.toMatchObject(retired);
    await expect(store.query({ dimensions: [], bucket: 'hour', since: feb })).rejects.toMatchObject(retired);
    await expect(
      store.query({ dimensions: [], bucket: 'day', timeZone: 'Europe/Berlin', since: feb }),
    ).rejects.toMatchObject(retired);
    await expect(store.query({ dimensions: ['team'], since: feb + 2 * HOUR })).rejects.toMatchObject(retired);
    await expect(
      store.query({ dimensions: ['team'], since: feb, until: feb + 2 * HOUR }),
    ).rejects.toMatchObject(retired);
    await expect(store.events({ since: feb })).rejects.toMatchObject(retired);
    await expect(store.events({ until: MARCH })).rejects.toMatchObject(retired);
    await expect(store.cacheSavings({ dimensions: [] })).rejects.toMatchObject(retired);
    await expect(store.export({ format: 'jsonl', path: '/nonexistent/x.jsonl' })).rejects.toMatchObject(
      retired,
    );
    await expect(
      store.export({ format: 'focus', path: '/nonexistent/x.csv', since: feb + 2 * HOUR }),
    ).rejects.toMatchObject(retired);
    await expect(store.records!.computedCosts({ since: feb + 2 * HOUR })).rejects.toMatchObject(retired);
    await expect(
      store.export({ format: 'focus', path: '/nonexistent/x.csv', since: feb, until: MARCH - HOUR }),
    ).rejects.toMatchObject(retired);

    // From the horizon on, the calls are all there.
    const after = calls.filter((e) => e.ts >= MARCH);
    const byTask = await store.query({ dimensions: ['task_id'], since: MARCH });
    expect(byTask.totals.events).toBe(after.length);
    expect((await store.events({ since: MARCH })).length).toBe(after.length);
    // Whole days before it, through a rollup, wherever they start.
    const fromFeb = await store.query({ dimensions: ['team'], since: feb });
    expect(fromFeb.totals.events).toBe(calls.filter((e) => e.ts >= feb).length);
    // A day whose FOCUS sums were never built (a ledger retired before focus_days existed) is refused, not read
    // as a day with no calls.
    const sql = await ClickHouseSql.open(url);
    await sql.run('unbuilding a retired day', `ALTER TABLE focus_days DROP PARTITION ID '20260210'`);
    await sql.close();
    await expect(
      store.export({ format: 'focus', path: '/nonexistent/x.csv', since: feb, until: MARCH }),
    ).rejects.toMatchObject({
      code: 'STORE_RAW_RETIRED',
      message: expect.stringContaining(
        'the calls of 2026-02-10 were retired before focus_days kept their sums',
      ),
    });
    const costsFromFeb = await store.records!.computedCosts({ since: feb, provider: 'anthropic' });
    expect(costsFromFeb.reduce((n, r) => n + r.events, 0)).toBe(
      calls.filter((e) => e.ts >= feb && e.provider === 'anthropic').length,
    );
    await store.close();
  });

  it('leaves out events appended before the horizon and counts them, and never rebuilds a retired day', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    await store.append(calls);
    await store.retireRaw!(MARCH, 0);
    const total = await store.query({ dimensions: ['team'], bucket: 'day' });

    // An old log imported again, and a call from it never seen: neither can join a day kept only as sums.
    const unseen = makeEvent(77, { ts: MARCH - 3 * DAY });
    const late = makeEvent(78, { ts: MARCH + 2 * HOUR });
    const r = await store.append([...retiredOf(calls).slice(0, 40), unseen, late]);
    expect(r).toMatchObject({ inserted: 1, duplicates: 0, retired: 41 });
    expect((await store.query({ dimensions: [] })).totals.events).toBe(total.totals.events + 1);

    // A row that reached a retired day anyway (an append on another instance that read the old horizon and took
    // longer than the grace), and its day marked written: the day is read from its build, not rebuilt from it alone.
    const plantLate = async (e: UsageEvent) => {
      const sql = await ClickHouseSql.open(url);
      await sql.insert('planting a late row', 'events', [eventRow(e)]);
      await markWritten(sql, [e.ts]);
      await sql.close();
    };
    await plantLate(unseen);
    const day = () =>
      store.query({ dimensions: [], bucket: 'day', since: MARCH - 3 * DAY, until: MARCH - 2 * DAY });
    const sums = total.rows.filter((row) => row.bucket?.startsWith('2026-02-26'));
    expect((await day()).totals.events).toBe(sums.reduce((n, row) => n + row.events, 0));
    // Nor by the next retirement, which builds what is out of date before the horizon it moves to.
    await store.retireRaw!(Date.UTC(2026, 3, 1) * 1000, 0);
    expect((await day()).totals.events).toBe(sums.reduce((n, row) => n + row.events, 0));

    // A late row on a retired day that had no calls: no build holds the day, and it is read from the events.
    await plantLate(makeEvent(79, { ts: T0 - 3 * DAY }));
    expect((await store.query({ dimensions: [], until: T0 - 2 * DAY })).totals.events).toBe(1);
    const path = join(mkdtempSync(join(tmpdir(), 'tl-retire-late-')), 'focus.csv');
    expect((await store.export({ format: 'focus', path, until: T0 - 2 * DAY })).rows).toBeGreaterThan(0);
    await store.close();
  });

  it("answers by git branch and hour, as the ROI report reads agents' calls, across the horizon", async () => {
    const branches = ['feat/login', 'fix/cache', 'main'];
    const branched = calls.map((e, i) =>
      i % 3 === 0 ? { ...e, tags: { ...e.tags, git_branch: branches[(i / 3) % 3]! } } : e,
    );
    const feb = Date.UTC(2026, 1, 1) * 1000;
    const onBranches = { dimension: 'tag.git_branch', values: [null], exclude: true } as const;
    const byHour: Query = {
      dimensions: ['project', 'tag.git_branch'],
      filters: [{ dimension: 'project', values: ['p1', 'p2'] }, onBranches],
      bucket: 'hour',
      since: feb,
      until: MARCH + 10 * DAY + 5 * HOUR,
    };
    // What the query must say, summed here from the calls.
    const expected = new Map<string, bigint>();
    for (const e of branched) {
      const branch = e.tags.git_branch;
      if (branch === undefined || e.ts < feb || e.ts >= byHour.until! || e.project === 'p3') continue;
      const key = `${e.project} ${branch} ${new Date(Math.floor(e.ts / HOUR) * (HOUR / 1000)).toISOString()}`;
      expected.set(key, (expected.get(key) ?? 0n) + (e.cost_usd ?? 0n));
    }
    expect(expected.size).toBeGreaterThan(50);
    const sums = async (q: Query) =>
      new Map(
        (await store.query(q)).rows.map((r) => [
          `${r.dims.project} ${r.dims['tag.git_branch']} ${r.bucket}`,
          r.cost_usd,
        ]),
      );
    const byTeam: Query = {
      dimensions: ['tag.git_branch'],
      filters: [{ dimension: 'team', values: [branched[0]!.team] }, onBranches],
      bucket: 'day',
      since: feb,
    };

    const store = await createClickHouseStore(freshUrl());
    await store.append(branched);
    expect(await sums(byHour)).toEqual(expected);
    const teamBefore = await store.query(byTeam);
    await store.retireRaw!(MARCH, 0);
    expect(await sums(byHour)).toEqual(expected);
    expect(await store.query(byTeam)).toEqual(teamBefore);
    // What the table does not keep is refused as before: a task, a branch's hours in another zone, any call's hour.
    const retired = { code: 'STORE_RAW_RETIRED' };
    await expect(
      store.query({ ...byHour, filters: [...byHour.filters!, { dimension: 'task_id', values: ['t1'] }] }),
    ).rejects.toMatchObject(retired);
    await expect(store.query({ ...byHour, timeZone: 'Asia/Kolkata' })).rejects.toMatchObject(retired);
    await expect(store.query({ ...byHour, filters: [] })).rejects.toMatchObject(retired);
    await store.close();
  });

  it('counts each energy reading once, wherever a retirement stopped', async () => {
    const url = freshUrl();
    const store = await createClickHouseStore(url);
    await store.append([...calls, ...energy]);
    const byModel = () => store.energy({ dimensions: ['model'] });
    const expected = await byModel();
    const joules = [...calls, ...energy].reduce((j, e) => j + (e.energy_j ?? 0), 0);
    expect(expected.reduce((j, r) => j + r.energy_j, 0)).toBeCloseTo(joules, 3);
    const sql = await ClickHouseSql.open(url);
    // Stopped after keeping the readings, before moving the horizon; then after moving it, before the drop.
    await sql.run(
      'keeping readings as a retirement does',
      `INSERT INTO retired_energy SELECT * FROM events FINAL
       WHERE ts < fromUnixTimestamp64Micro({t:Int64}, 'UTC') AND energy_j IS NOT NULL`,
      { t: MARCH },
    );
    expect(await byModel()).toEqual(expected);
    await sql.run(
      'moving the horizon as a retirement does',
      "INSERT INTO raw_horizon SELECT fromUnixTimestamp64Micro({t:Int64}, 'UTC'), now64(6)",
      { t: MARCH },
    );
    expect(await byModel()).toEqual(expected);
    await sql.close();
    // The next run drops what is left: the readings stay.
    expect((await store.retireRaw!(MARCH, 0)).events).toBe(retiredOf([...calls, ...energy]).length);
    expect(await byModel()).toEqual(expected);
    await store.close();
  });

  it('keeps at least the last 30 days of calls', async () => {
    const store = await createClickHouseStore(freshUrl());
    await expect(store.retireRaw!(Date.now() * 1000 - 10 * DAY, 0)).rejects.toMatchObject({
      code: 'STORE_BAD_QUERY',
      message: expect.stringContaining('at least 30 days'),
    });
    await store.close();
  });
});
