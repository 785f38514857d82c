import { setTimeout as sleep } from 'node:timers/promises';
import { storeError } from '../errors.js';
import type { Retirement } from '../store.js';
import { BRANCH_HOURS } from './branch-hours.js';
import type { ClickHouseSql } from './clickhouse-sql.js';
import { FOCUS_DAYS } from './focus-days.js';
import { RECONCILE_DAYS } from './reconcile-days.js';
import { buildDays, ROLLUP_TABLES, type Unbuilt } from './rollup.js';
import { chTime } from './time.js';

/**
 * Raw events past their retention (docs/store.md, ClickHouse, Raw retention). A ledger of 10^9 calls a year keeps
 * each call for as long as it is asked to and its daily sums forever: `retireBefore` drops the events of every UTC
 * month that ended before a time, after building their days into the rollups, and moves the ledger's horizon there.
 *
 * Not a table TTL: ClickHouse deletes a TTL's rows when parts merge, at a time of its choosing, and a day whose
 * events went before its rollup was built would be lost. Here the order is the store's:
 *
 * 1. Build every out-of-date day of those months into every table of daily sums: the report rollups, the FOCUS
 *    export's (focus-days.ts) and reconcile's (reconcile-days.ts).
 * 2. Write the horizon. From now on appends leave out events before it, rollup days before it are never built again
 *    (their events are going), and reads that need single calls before it fail (STORE_RAW_RETIRED) rather than
 *    answer from part of them.
 * 3. Wait `graceMs`, then build out-of-date days again: an append on another instance that read the old horizon
 *    just before step 2 has landed by then, and is in the sums.
 * 4. Copy the months' events that carry energy (GPU telemetry, one a minute per pool: sources/otlp/gpu-energy.ts)
 *    into `retired_energy`: no rollup keeps joules. Energy reports read it before the horizon and `events` from it
 *    on, so a reading is counted once whichever step a run stopped at. The copy is made before step 2 too.
 * 5. Drop the months' partitions of `events`, whole.
 *
 * Each step is idempotent, so a crash anywhere is mended by the next run. What step 3 cannot cover: an append that
 * read the old horizon and took longer than `graceMs` to insert its rows; its events before the horizon are lost.
 */

/** The horizon's table: each retirement adds a row, and the latest `kept_from` is the ledger's horizon. */
export const RAW_HORIZON_SQL = `CREATE TABLE IF NOT EXISTS raw_horizon (
  kept_from DateTime64(6, 'UTC'), at DateTime64(6, 'UTC')
) ENGINE = MergeTree ORDER BY kept_from`;

const TIME = `DateTime64(6, 'UTC')`;

/**
 * What a retirement builds first: every table of daily sums, the reports', the FOCUS export's, reconcile's and the
 * branches' by hour.
 */
const DAY_TABLES = [...ROLLUP_TABLES, FOCUS_DAYS, RECONCILE_DAYS, BRANCH_HOURS];

/** The ledger's horizon in epoch µs (events before it are kept only as daily sums), or null when none was set. */
export async function readHorizon(sql: ClickHouseSql): Promise<number | null> {
  const rows = await sql.rows(
    'reading the raw horizon',
    'SELECT toUnixTimestamp64Micro(max(kept_from)) AS us, count() AS n FROM raw_horizon',
  );
  return Number(rows[0]!.n) === 0 ? null : Number(rows[0]!.us);
}

/** The start of the UTC month holding `us`: every month before it has ended. */
export function monthStart(us: number): number {
  const d = new Date(Math.floor(us / 1000));
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) * 1000;
}

export async function retireBefore(
  sql: ClickHouseSql,
  before: number,
  turn: (build: () => Promise<void>) => Promise<void>,
  graceMs: number,
): Promise<Retirement> {
  const target = monthStart(before);
  const current = await readHorizon(sql);
  // Which days are out of date is read in the turn of the store's builds, after any a report started. Days before
  // the current horizon are never among them: their events are gone, and a row that reached one late would be all
  // a build of it held.
  const build = () => turn(async () => buildDays(sql, await staleDays(sql, current, target), DAY_TABLES));
  if (current === null || target > current) {
    await build();
    // Before the horizon moves, as energy reads switch from `events` to `retired_energy` there.
    await keepEnergy(sql, target);
    await sql.run(
      'moving the raw horizon',
      "INSERT INTO raw_horizon SELECT fromUnixTimestamp64Micro({t:Int64}, 'UTC'), now64(6)",
      { t: target },
    );
    if (graceMs > 0) await sleep(graceMs);
    await build();
  }
  const keptFrom = current === null ? target : Math.max(current, target);
  // Again: readings that came during the grace, or every one after a run cut short before its drop.
  await keepEnergy(sql, keptFrom);
  return { keptFrom, events: await dropBefore(sql, keptFrom) };
}

/**
 * Copies the events before `keptFrom` that carry energy into `retired_energy`. Copied twice, a reading is one row
 * there: the table replaces rows by (ts, event_id), as `events` does, and is read FINAL.
 */
async function keepEnergy(sql: ClickHouseSql, keptFrom: number): Promise<void> {
  await sql.run(
    'keeping retired energy readings',
    `INSERT INTO retired_energy SELECT * FROM events FINAL
     WHERE ts < fromUnixTimestamp64Micro({t:Int64}, 'UTC') AND energy_j IS NOT NULL`,
    { t: keptFrom },
  );
}

/** Drops `events`' monthly partitions before `keptFrom` (a month's start). */
async function dropBefore(sql: ClickHouseSql, keptFrom: number): Promise<number> {
  const limit = Number(new Date(keptFrom / 1000).toISOString().slice(0, 7).replace('-', ''));
  const parts = await sql.rows(
    'finding retired months',
    `SELECT partition_id, sum(rows) AS n FROM system.parts
     WHERE database = currentDatabase() AND table = 'events' AND active GROUP BY partition_id`,
  );
  let dropped = 0;
  for (const { partition_id, n } of parts) {
    // A partition id is written into the statement (ClickHouse takes no parameter there): toYYYYMM's digits.
    const id = String(partition_id);
    if (!/^\d{6}$/.test(id))
      throw storeError('STORE_SQL_FAILED', `unexpected events partition ${JSON.stringify(id)}`);
    if (Number(id) >= limit) continue;
    await sql.run('dropping retired events', `ALTER TABLE events DROP PARTITION ID '${id}'`);
    dropped += Number(n);
  }
  return dropped;
}

/**
 * Days from `from` (null: the first) to `to` that some day table does not hold as they are now (rollup.ts), oldest
 * first.
 */
async function staleDays(sql: ClickHouseSql, from: number | null, to: number): Promise<number[]> {
  const within = `day >= {from:${TIME}} AND day < {to:${TIME}}`;
  const built = DAY_TABLES.map(
    (t) => `(SELECT day, max(built_at) AS built FROM ${t.table} WHERE ${within} GROUP BY day)`,
  );
  const joins = built.map((b, i) => `LEFT JOIN ${b} b${i} ON s.day = b${i}.day`).join('\n');
  const stale = built
    .map((_, i) => `s.written > coalesce(b${i}.built, toDateTime64(0, 6, 'UTC'))`)
    .join(' OR ');
  const rows = await sql.rows(
    'finding rollup days to build before retiring',
    `SELECT toUnixTimestamp64Micro(s.day) AS day_us
     FROM (SELECT day, max(at) AS written FROM rollup_stale WHERE ${within} GROUP BY day) s
     ${joins}
     WHERE ${stale} ORDER BY day_us`,
    { from: chTime(from ?? 0), to: chTime(to) },
  );
  return rows.map((r) => Number(r.day_us));
}

/**
 * Days before the horizon that table `table` never built are read from the events. Those written to after their month
 * was retired (a late row from an instance that read the old horizon) hold just that row there, and are read so. One
 * written to only before its retirement had calls then, and every day table was built for it, unless the table came
 * after (a ledger retired by an earlier tokenledger): what it would sum is gone, and read from the events the day
 * would sum to nothing. That fails rather than answer.
 */
export async function checkKept(
  sql: ClickHouseSql,
  table: string,
  unbuilt: readonly Unbuilt[],
): Promise<void> {
  const retirements = (
    await sql.rows(
      'reading when months were retired',
      `SELECT toUnixTimestamp64Micro(kept_from) AS kept_us, toUnixTimestamp64Micro(at) AS at_us
       FROM raw_horizon ORDER BY kept_from`,
    )
  ).map((r) => ({ keptFrom: Number(r.kept_us), at: Number(r.at_us) }));
  for (const d of unbuilt) {
    const retired = retirements.find((r) => r.keptFrom > d.day);
    if (retired === undefined || d.written >= retired.at) continue;
    throw storeError(
      'STORE_RAW_RETIRED',
      `the calls of ${new Date(d.day / 1000).toISOString().slice(0, 10)} were retired before ${table} ` +
        'kept their sums (raw retention, docs/store.md): start after the days retired before it',
    );
  }
}
