import { describe, expect, it } from 'vitest';
import { audioFee } from '../../pricing/cost.js';
import type { Query } from '../query.js';
import type { Store } from '../store.js';
import { card, DAY, HOUR, makeEvent, randomEvents, T0 } from '../testing/event-factory.js';
import { freshLedgerPath, sql } from '../testing/ledger-file.js';
import { createDuckDbStore } from './duckdb-store.js';
import { openLedger } from './open.js';
import { DetachedPreparer, preparedTransfer } from './prepare-batch.js';
import { COMPACT_EVERY, compactPendingDays, groupDays, planCompaction } from './rollup.js';
import { LIST_ROWS } from './rollup-append.js';
import { ROLLUP_COLUMNS, SCHEMA_VERSION, SESSION_ROLLUP } from './schema.js';

const freshPath = () => freshLedgerPath('tl-rollup-');

/** The same report from the rollup (whole days) and from raw events (a dimension the rollup lacks forces it). */
async function bothWays(store: Store) {
  const range = { since: T0 + HOUR, until: T0 + 20 * DAY };
  const q: Query = { dimensions: ['team'], bucket: 'day', ...range };
  // The session rollup: what the sessions page asks, top-N over the range.
  const s: Query = { dimensions: ['session_id', 'agent', 'user', 'team'], top: 5, ...range };
  const rawOnly = { dimension: 'route_id', values: [null] } as const;
  // By person: rollup_day (rollup_team has no people).
  const u: Query = { dimensions: ['user'], bucket: 'week', top: 4, ...range };
  // Ranked on the session alone, as the sessions page ranks them (whole sessions read as rows: rollup_session_split).
  const r: Query = { ...s, rankByFirst: true, topRequests: 2 };
  const [rollup, raw, sessions, sessionsRaw, users, usersRaw, ranked, rankedRaw] = await Promise.all([
    store.query(q),
    store.query({ ...q, filters: [rawOnly] }),
    store.query(s),
    store.query({ ...s, filters: [rawOnly] }),
    store.query(u),
    store.query({ ...u, filters: [rawOnly] }),
    store.query(r),
    store.query({ ...r, filters: [rawOnly] }),
  ]);
  return { rollup, raw, sessions, sessionsRaw, users, usersRaw, ranked, rankedRaw };
}

/** The sessions with more than one session-rollup row, as rollup_session_split must list them. */
const SPLIT_SESSIONS = `SELECT session_id FROM rollup_session WHERE session_id IS NOT NULL
  GROUP BY session_id HAVING count(*) > 1 ORDER BY session_id`;

/**
 * A ledger written by this code, taken back to an older schema by `downgrade`, then opened (migrated): its reports
 * must read as before, and its version be the current one.
 */
async function migrated(downgrade: string) {
  const path = freshPath();
  const store = await createDuckDbStore(path);
  await store.append(randomEvents(400, 12, 4));
  const before = await bothWays(store);
  await store.close();
  await sql(path, downgrade);
  const again = await createDuckDbStore(path);
  const after = await bothWays(again);
  await again.close();
  expect(after).toEqual(before);
  expect((await sql(path, "SELECT value FROM meta WHERE key = 'schema_version'"))[0]![0]).toBe(
    String(SCHEMA_VERSION),
  );
  return { path, after };
}

describe('planCompaction', () => {
  it('finishes days before the batch latest, merges a day that took COMPACT_EVERY appends, keeps the rest', () => {
    const pending = new Map([
      [1 * DAY, 3],
      [2 * DAY, COMPACT_EVERY - 1],
    ]);
    expect(planCompaction(pending, [2 * DAY])).toEqual({
      finished: [1 * DAY],
      crowded: [2 * DAY],
      next: new Map([[2 * DAY, 1]]),
    });
    expect(planCompaction(new Map(), [5 * DAY, 6 * DAY])).toEqual({
      finished: [5 * DAY],
      crowded: [],
      next: new Map([[6 * DAY, 1]]),
    });
    // Out-of-order input: only days before the batch's latest finish, so an older day stays pending (until close).
    expect(planCompaction(new Map([[6 * DAY, 2]]), [3 * DAY])).toEqual({
      finished: [],
      crowded: [],
      next: new Map([
        [6 * DAY, 2],
        [3 * DAY, 1],
      ]),
    });
  });
});

describe('compactPendingDays', () => {
  it('gives back the memory of the rows it merges (DuckDB never frees rows deleted from a temporary table)', async () => {
    // A ledger file, not ':memory:': DuckDB's spill directory is then beside it rather than in the working directory.
    const { session } = await openLedger(freshPath());
    // 20,000 appended rows of one day over 3,000 sessions, each measure 1, as a server's appends leave them.
    const values = SESSION_ROLLUP.columns.map(([name, type]) =>
      name === 'day'
        ? 'make_timestamp(?::BIGINT)'
        : name === 'session_id'
          ? "'s' || (range % 3000)"
          : type.startsWith('VARCHAR')
            ? 'NULL'
            : '1',
    );
    const append = () =>
      session.run(
        'appending',
        `INSERT INTO ${SESSION_ROLLUP.pending} SELECT ${values.join(', ')} FROM range(20000)`,
        [BigInt(T0)],
      );
    const inMemoryTables = async () =>
      Number(
        (
          await session.rows(
            'reading memory',
            "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'",
          )
        )[0]![0],
      );
    const cycle = async () => {
      await append();
      await append();
      await compactPendingDays(session, [T0]);
    };
    for (let i = 0; i < 3; i++) await cycle();
    const before = await inMemoryTables();
    for (let i = 0; i < 20; i++) await cycle();
    const after = await inMemoryTables();
    // Deleting the merged rows instead kept what every compaction's 40,000 took: 169 MB more after these 20 cycles.
    expect(after - before).toBeLessThan(2 * 2 ** 20);
    const [rows, events] = (
      await session.rows('reading', `SELECT count(*), sum(events) FROM ${SESSION_ROLLUP.pending}`)
    )[0]!.map(Number);
    expect([rows, events]).toEqual([3000, 23 * 40_000]);
    // Nor does a copy of the merged rows stay behind, holding its memory until the next compaction.
    const workTables = await session.rows(
      'reading',
      "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name = 'rollup_merged'",
    );
    expect(workTables).toEqual([]);
    await session.close();
  });
});

describe('groupDays', () => {
  const perDay = new Map([
    [1 * DAY, 100],
    [2 * DAY, 100],
    [3 * DAY, 900],
    [4 * DAY, 50],
    [6 * DAY, 50],
    [7 * DAY, 2000],
  ]);

  it('rebuilds consecutive days together while their span holds at most the limit, a bigger day alone', () => {
    expect(
      groupDays(
        [1, 2, 3, 4, 6, 7].map((d) => d * DAY),
        perDay,
        1000,
      ),
    ).toEqual([[1 * DAY, 2 * DAY], [3 * DAY, 4 * DAY, 6 * DAY], [7 * DAY]]);
    expect(
      groupDays(
        [1, 2, 4].map((d) => d * DAY),
        perDay,
        1_000_000,
      ),
    ).toEqual([[1 * DAY, 2 * DAY, 4 * DAY]]);
  });

  it('counts the days between two dirty ones: a group scans its whole span', () => {
    // Day 3 is not dirty, but days 2 and 4 rebuilt together would read its 900 events too.
    expect(
      groupDays(
        [2, 4].map((d) => d * DAY),
        perDay,
        1000,
      ),
    ).toEqual([[2 * DAY], [4 * DAY]]);
    expect(
      groupDays(
        [2, 4].map((d) => d * DAY),
        perDay,
        1050,
      ),
    ).toEqual([[2 * DAY, 4 * DAY]]);
  });

  it('a limit below every day rebuilds a day at a time', () => {
    expect(
      groupDays(
        [1, 2, 3].map((d) => d * DAY),
        perDay,
        1,
      ),
    ).toEqual([[1 * DAY], [2 * DAY], [3 * DAY]]);
  });
});

describe('rollup of appended batches', () => {
  it('reads the same as raw events while days are pending, and keeps one row per key once closed', async () => {
    const path = freshPath();
    const store = await createDuckDbStore(path);
    const events = randomEvents(3000, 9, 3).sort((a, b) => a.ts - b.ts);
    // Small time-ordered batches: many appends per day, so days are both crowded and finished.
    for (let i = 0; i < events.length; i += 100) await store.append(events.slice(i, i + 100));
    const before = await bothWays(store);
    expect(before.rollup).toEqual(before.raw);
    expect(before.sessions).toEqual(before.sessionsRaw);
    expect(before.users).toEqual(before.usersRaw);
    expect(before.ranked).toEqual(before.rankedRaw);
    expect(before.sessions.rows.length).toBe(6);
    expect(before.rollup.totals.events).toBeGreaterThan(2900);
    await store.close();
    const [rows, keys] = (
      await sql(
        path,
        `SELECT count(*), count(DISTINCT (day, org, team, "user", project, agent, environment, source, provider, model,
         operation, service_tier, cost_source, price_version)) FROM rollup_day`,
      )
    )[0]!;
    expect(rows).toBe(keys);
    const [sRows, sKeys] = (
      await sql(
        path,
        `SELECT count(*), count(DISTINCT (day, org, team, "user", project, agent, environment, session_id))
         FROM rollup_session`,
      )
    )[0]!;
    expect(sRows).toBe(sKeys);
    const [tRows, tKeys] = (
      await sql(
        path,
        `SELECT count(*), count(DISTINCT (day, org, team, project, agent, environment, source, provider, model,
         operation, service_tier, cost_source, price_version)) FROM rollup_team`,
      )
    )[0]!;
    expect(tRows).toBe(tKeys);
    expect((await sql(path, 'SELECT count(*) FROM rollup_dirty'))[0]![0]).toBe(0n);
    expect(await sql(path, 'SELECT session_id FROM rollup_session_split ORDER BY session_id')).toEqual(
      await sql(path, SPLIT_SESSIONS),
    );
    const again = await createDuckDbStore(path);
    const after = await bothWays(again);
    expect(after).toEqual(before);
    await again.close();
  });

  it('sums a batch into the same rollup rows in JS, here or in another thread, as DuckDB sums from the staged rows', async () => {
    // append() sums each batch's rollup rows from its events (rollup-delta.ts); a batch prepared elsewhere carries
    // none, so appendPrepared has DuckDB sum them (stageRollupSql): the reference. Priced, provider-given and unpriced
    // events, audio, searches, null dimensions, ten days; then batches half of which the ledger holds already (whose
    // rows only DuckDB can tell apart: the JS sums are not used for them).
    const events = randomEvents(4000, 21, 10).sort((a, b) => a.ts - b.ts);
    const batches = Array.from({ length: 8 }, (_, i) => events.slice(i * 500, (i + 1) * 500));
    // And a server's: one person's calls in one session, over a day.
    batches.push(
      randomEvents(120, 23, 1).map((e) => ({
        ...e,
        source: 'gateway',
        team: 'a',
        user: 'u1',
        project: 'p1',
        agent: null,
        environment: 'prod',
        session_id: 's1',
      })),
    );
    const repeats = [events.slice(100, 400), events.slice(3900).concat(randomEvents(50, 22, 10))];
    // A third store takes batches summed in another thread (the OTLP worker's: DetachedPreparer with rollups), as
    // they arrive from it: cloned, their typed arrays moved.
    const [jsPath, sqlPath, threadPath] = [freshPath(), freshPath(), freshPath()];
    const js = await createDuckDbStore(jsPath);
    const reference = await createDuckDbStore(sqlPath);
    const fromThread = await createDuckDbStore(threadPath);
    const preparer = new DetachedPreparer(false);
    const summing = new DetachedPreparer(false, true);
    // Both ways rollup-append.ts writes a table's rows are taken: a few rows by lists, more by an appender.
    const sizes = batches.flatMap((b) => summing.prepare(b).rollups!.map((t) => t.rows));
    expect(Math.min(...sizes)).toBeLessThanOrEqual(LIST_ROWS);
    expect(Math.max(...sizes)).toBeGreaterThan(LIST_ROWS);
    for (const b of [...batches, ...repeats]) {
      const prepared = summing.prepare(b);
      const cloned = structuredClone(prepared, { transfer: preparedTransfer(prepared) });
      const [a, r, t] = [
        await js.append(b),
        await reference.appendPrepared!(preparer.prepare(b)),
        await fromThread.appendPrepared!(cloned),
      ];
      expect(a).toEqual(r);
      expect(t).toEqual(r);
    }
    // Read while the latest day's rows are still pending, then from the files once compacted.
    const expected = await bothWays(reference);
    expect(await bothWays(js)).toEqual(expected);
    expect(await bothWays(fromThread)).toEqual(expected);
    await Promise.all([js.close(), reference.close(), fromThread.close()]);
    for (const t of ['rollup_day', 'rollup_team', 'rollup_session']) {
      const rows = await sql(sqlPath, `SELECT * FROM ${t} ORDER BY ALL`);
      expect(rows.length).toBeGreaterThan(10);
      expect(await sql(jsPath, `SELECT * FROM ${t} ORDER BY ALL`)).toEqual(rows);
      expect(await sql(threadPath, `SELECT * FROM ${t} ORDER BY ALL`)).toEqual(rows);
    }
  });

  it('with rollups deferred, reads the same as raw events before and after close, and leaves nothing dirty', async () => {
    const path = freshPath();
    const events = randomEvents(3000, 9, 3).sort((a, b) => a.ts - b.ts);
    const normal = await createDuckDbStore(freshPath());
    const store = await createDuckDbStore(path, { deferRollups: true });
    // Not awaited one by one: the importer hands over the next batch while the previous one is written.
    const appends = [];
    for (let i = 0; i < events.length; i += 250) {
      appends.push(store.append(events.slice(i, i + 250)));
      await normal.append(events.slice(i, i + 250));
    }
    expect((await Promise.all(appends)).reduce((n, r) => n + r.inserted, 0)).toBe(events.length);
    // Days marked dirty in the appends' own transactions, no rollup row written yet.
    expect((await sql(path, 'SELECT count(*) FROM rollup_dirty'))[0]![0]).toBeGreaterThan(0n);
    const before = await bothWays(store);
    expect(before.rollup).toEqual(before.raw);
    expect(before.sessions).toEqual(before.sessionsRaw);
    expect(before.users).toEqual(before.usersRaw);
    expect(before.ranked).toEqual(before.rankedRaw);
    expect(before).toEqual(await bothWays(normal));
    await store.append(events.slice(0, 500)); // repeats: dropped, days stay as they are
    await store.close();
    await normal.close();
    expect((await sql(path, 'SELECT count(*) FROM rollup_dirty'))[0]![0]).toBe(0n);
    const again = await createDuckDbStore(path);
    expect(await bothWays(again)).toEqual(before);
    await again.close();
  });

  it('with rollups deferred and nothing read before close, builds the rollups at close on two connections as one would', async () => {
    // Sessions here span several days, so days rebuilt side by side share sessions: each must still be listed as
    // split (rollup_session_split) when it has rows on days that different connections rebuilt.
    const events = randomEvents(3000, 11, 9).sort((a, b) => a.ts - b.ts);
    const reference = await createDuckDbStore(freshPath());
    for (let i = 0; i < events.length; i += 250) await reference.append(events.slice(i, i + 250));
    const expected = await bothWays(reference);
    await reference.close();
    const path = freshPath();
    // A day per group (these 3000 events would otherwise be one), so that the two connections share the days.
    const store = await createDuckDbStore(path, { deferRollups: true, rebuildEvents: 1 });
    for (let i = 0; i < events.length; i += 250) await store.append(events.slice(i, i + 250));
    await store.close();
    expect((await sql(path, 'SELECT count(*) FROM rollup_dirty'))[0]![0]).toBe(0n);
    const split = await sql(path, SPLIT_SESSIONS);
    expect(split.length).toBeGreaterThan(0);
    expect(
      await sql(path, 'SELECT DISTINCT session_id FROM rollup_session_split ORDER BY session_id'),
    ).toEqual(split);
    const reopened = await createDuckDbStore(path);
    expect(await bothWays(reopened)).toEqual(expected);
    await reopened.close();
  });

  it('rebuilds the days a deferring process left dirty when it died before close', async () => {
    const path = freshPath();
    const events = randomEvents(600, 5, 3).sort((a, b) => a.ts - b.ts);
    const reference = await createDuckDbStore(freshPath());
    await reference.append(events);
    const expected = await bothWays(reference);
    await reference.close();
    const store = await createDuckDbStore(path, { deferRollups: true });
    await store.append(events);
    // What dying before close leaves: events committed, their days dirty, no rollup rows.
    await store.close();
    await sql(path, 'DELETE FROM rollup_day; DELETE FROM rollup_team; DELETE FROM rollup_session');
    await sql(path, `INSERT INTO rollup_dirty SELECT DISTINCT date_trunc('day', ts) FROM events`);
    const reopened = await createDuckDbStore(path);
    expect(await bothWays(reopened)).toEqual(expected);
    await reopened.close();
    expect((await sql(path, 'SELECT count(*) FROM rollup_dirty'))[0]![0]).toBe(0n);
  });

  it('rebuilds days from their events with each audio fee rounded alone, on a card whose token rates are whole', async () => {
    // Whole pico-dollars per token (the summed-tokens shortcut's cards) and $0.333… per hour of audio: 1 ms costs
    // 92,592.59… pico-dollars, rounded to 92,593 per event; summed first, two events would make 185,185, not 185,186.
    const odd = card('3', '0.3', '3.75', '6', '15', '10', '3', '15', '3', '15', '0.333333333333333333');
    const events = [1, 2, 3].map((n) =>
      makeEvent(n, { ts: T0 + HOUR + n, rates: odd, audio_ms: 1, input_tokens: 0, cache_read_tokens: 0 }),
    );
    const fees = events.reduce((sum, e) => sum + audioFee(e, odd), 0n);
    expect(fees).toBe(3n * 92_593n);
    const path = freshPath();
    const store = await createDuckDbStore(path);
    await store.append(events);
    await store.close();
    // What a crash before compaction leaves: the day dirty, its rollup rows gone; reopening rebuilds it from events.
    await sql(
      path,
      `DELETE FROM rollup_day; DELETE FROM rollup_team; DELETE FROM rollup_session;
       INSERT INTO rollup_dirty VALUES (make_timestamp(${T0}::BIGINT))`,
    );
    const reopened = await createDuckDbStore(path);
    const { rollup, raw } = await bothWays(reopened);
    expect(rollup).toEqual(raw);
    expect([rollup.totals.cost_usd, rollup.totals.audio_ms]).toEqual([
      events.reduce((sum, e) => sum + e.cost_usd!, 0n),
      3,
    ]);
    await reopened.close();
  });

  it('rebuilds the days a process left dirty (its pending rows died with it) from the events', async () => {
    const path = freshPath();
    const store = await createDuckDbStore(path);
    await store.append([makeEvent(1, { ts: T0 + HOUR }), makeEvent(2, { ts: T0 + DAY + HOUR })]);
    await store.close();
    // What a crash between an append and its compaction leaves: a dirty day whose rollup_day rows are missing.
    await sql(
      path,
      `DELETE FROM rollup_day WHERE day = make_timestamp(${T0}::BIGINT);
       INSERT INTO rollup_dirty VALUES (make_timestamp(${T0}::BIGINT))`,
    );
    const reopened = await createDuckDbStore(path);
    const { rollup, raw, sessions, sessionsRaw, users, usersRaw } = await bothWays(reopened);
    expect(rollup.totals.events).toBe(2);
    expect(rollup).toEqual(raw);
    expect(sessions).toEqual(sessionsRaw);
    expect(users).toEqual(usersRaw);
    await reopened.close();
    expect((await sql(path, 'SELECT count(*) FROM rollup_dirty'))[0]![0]).toBe(0n);
  });

  it('migrates a schema-2 ledger (cost_usd in the rollup) by rebuilding the rollup from the events', async () => {
    const cols = ROLLUP_COLUMNS.map(([n, t]) => `"${n === 'cost_usd_extra' ? 'cost_usd' : n}" ${t}`).join(
      ', ',
    );
    await migrated(
      `DROP TABLE rollup_day; DROP TABLE rollup_dirty; CREATE TABLE rollup_day (${cols});
       UPDATE meta SET value = '2' WHERE key = 'schema_version'`,
    );
  });

  it('migrates a schema-3 ledger by building the session rollup from the events', async () => {
    const { path, after } = await migrated(
      `DROP TABLE rollup_session; DROP TABLE rollup_team; UPDATE meta SET value = '3' WHERE key = 'schema_version'`,
    );
    expect(after.sessions.totals.events).toBeGreaterThan(0);
    expect((await sql(path, 'SELECT count(*) FROM rollup_session'))[0]![0]).toBeGreaterThan(0n);
    expect((await sql(path, 'SELECT count(*) FROM rollup_team'))[0]![0]).toBeGreaterThan(0n);
  });

  it('migrates a schema-4 ledger by listing the sessions split over several rollup rows', async () => {
    const { path } = await migrated(
      `DROP TABLE rollup_session_split; UPDATE meta SET value = '4' WHERE key = 'schema_version'`,
    );
    const listed = await sql(path, SPLIT_SESSIONS);
    expect(listed.length).toBeGreaterThan(0);
    expect(await sql(path, 'SELECT session_id FROM rollup_session_split ORDER BY session_id')).toEqual(
      listed,
    );
  });
});
