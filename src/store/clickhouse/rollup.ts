import { randomBytes } from 'node:crypto';
import { TOKEN_FIELDS, USAGE_FIELDS } from '../../ledger/event.js';
import { DAY_US, utcDay } from '../../ledger/time.js';
import { MONEY_MEASURES } from '../query.js';
import type { Range } from '../sql/plan.js';
import { ROLLUPS, type RollupKind } from '../sql/rollup-dims.js';
import type { ClickHouseSql } from './clickhouse-sql.js';
import { ident } from './dialect.js';
import { chTime, withinSql } from './time.js';

/**
 * Daily rollups on ClickHouse (docs/store.md, ClickHouse, Rollups): each UTC day of a rollup table is built whole
 * from the events, as one partition swapped in at once, and read only while no event of that day has been written
 * since it was built. Exact whatever writes beside it: several instances appending, a reprice or an attribution
 * patch replacing rows, a crash between an event's insert and anything after it.
 *
 * - Every write of events (append, reprice, attribute) marks their days in `rollup_stale` with the server's clock,
 *   after the events are in: a day's mark is later than any of its events became readable.
 * - A build stamps its rows with the server's clock as it starts reading (`built_at`), so it holds every event
 *   readable before then, and may hold later ones.
 * - A day is read from a rollup when its partition's `built_at` is later than the day's last mark; any event the
 *   build missed came later than it, and so did its mark. Otherwise the day is read from the events.
 * - Only days that have ended are built (today keeps being written), when a report would read them.
 *
 * A crash after an append's insert but before its mark: the write-ahead log hands the batch over again at start-up,
 * and the append marks the days of every event it was given, stored before or not.
 *
 * The FOCUS export's daily sums (focus-days.ts), reconcile's (reconcile-days.ts) and the calls on git branches by
 * the hour (branch-hours.ts) are day tables too, built and read the same way. A day table must hold a row for every
 * day with an event: a day without one reads as never built.
 */

const TIME = `DateTime64(6, 'UTC')`;
export const DIMENSION_TYPE = 'LowCardinality(Nullable(String))';
const COUNTS = [...USAGE_FIELDS, 'events', 'unpriced_events', 'unpriced_tokens'];

/** The measures a rollup row keeps, and how the build sums them from `events`. */
export const MEASURES: readonly (readonly [name: string, type: string, sum: string])[] = [
  // An unpriced event adds nothing to money: reports count it in unpriced_events, never as $0 spend.
  ...MONEY_MEASURES.map((m) => [m, 'Int128', `sum(coalesce(${ident(m)}, toInt128(0)))`] as const),
  ...COUNTS.map((c) => {
    const sum =
      c === 'events'
        ? 'count()'
        : c === 'unpriced_events'
          ? 'countIf(cost_usd IS NULL)'
          : c === 'unpriced_tokens'
            ? `sumIf(${TOKEN_FIELDS.map(ident).join(' + ')}, cost_usd IS NULL)`
            : `sum(${ident(c)})`;
    return [c, 'UInt64', sum] as const;
  }),
  // What the events were billed beside what they cost now (compile-query.ts billedCostSql), as differences: the
  // compiler adds them to cost_usd and unpriced_events.
  [
    'billed_delta_usd',
    'Int128',
    `sum(coalesce(if(billed_unpriced, NULL, coalesce(billed_cost_usd, cost_usd)), toInt128(0))
      - coalesce(cost_usd, toInt128(0)))`,
  ],
  [
    'billed_unpriced_delta',
    'Int64',
    `sum(toInt64(billed_unpriced OR (billed_cost_usd IS NULL AND cost_usd IS NULL)) - toInt64(cost_usd IS NULL))`,
  ],
];

/**
 * A table of daily sums built here: whole UTC days at a time, from the SELECT `build` makes of the events that
 * `where` (a condition on `events`' columns) picks. Its rows are the table's columns in order, `built_at` (the
 * server's clock as the build starts reading) last.
 */
export interface DayTable {
  readonly table: string;
  build(where: string): string;
}

/** The report rollups (rollup-dims.ts), each a day table. */
export const ROLLUP_TABLES: readonly (RollupKind & DayTable)[] = ROLLUPS.map((r) => {
  const dims = r.dimensions.map(ident).join(', ');
  return {
    ...r,
    table: `rollup_${r.name}`,
    build: (where: string) =>
      `SELECT toStartOfDay(ts) AS day, ${dims}, ${MEASURES.map(([, , sum]) => sum).join(', ')}, now64(6)
       FROM events FINAL WHERE ${where} GROUP BY day, ${dims}`,
  };
});

export function rollupSchemaSql(): string[] {
  return [
    ...ROLLUP_TABLES.map((t) => {
      const columns = [
        `day ${TIME}`,
        ...t.dimensions.map((d) => `${ident(d)} ${DIMENSION_TYPE}`),
        ...MEASURES.map(([name, type]) => `${ident(name)} ${type}`),
        `built_at ${TIME}`,
      ];
      return `CREATE TABLE IF NOT EXISTS ${t.table} (${columns.join(', ')})
ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY day`;
    }),
    // Only a day's last mark is read: merges keep that one.
    `CREATE TABLE IF NOT EXISTS rollup_stale (day ${TIME}, at ${TIME}) ENGINE = ReplacingMergeTree(at) ORDER BY day`,
  ];
}

/** Marks the days of `times` (epoch µs) as written now: call after the events are in. */
export async function markWritten(sql: ClickHouseSql, times: Iterable<number>): Promise<void> {
  const days = [...new Set([...times].map(utcDay))];
  if (days.length === 0) return;
  await sql.run(
    'marking the rollup days written',
    `INSERT INTO rollup_stale SELECT day, now64(6) FROM (SELECT arrayJoin({days:Array(${TIME})}) AS day)`,
    { days: days.map(chTime) },
  );
}

/**
 * The ended days within `range` (whole UTC days) that table `read` holds as they are now (`fresh`, sorted), after
 * building those that need it in every table of `build` (`read` among them). Days before `horizon` (retire.ts) are
 * never built again, their events being gone: each is read from its last build, whatever was marked since; those
 * `read` never built are `unbuilt`, with their last mark, for the store to tell a late row's day from one whose sums
 * were never kept (retire.ts, checkKept). `turn` runs a build in the store's turn, one at a time.
 */
export async function freshDays(
  sql: ClickHouseSql,
  o: {
    read: DayTable;
    build: readonly DayTable[];
    range: Range;
    now: number;
    horizon: number | null;
    turn: (build: () => Promise<void>) => Promise<void>;
  },
): Promise<{ fresh: number[]; unbuilt: Unbuilt[] }> {
  const { horizon } = o;
  const read = async () => {
    const [where, params] = withinSql('day', o.range);
    const inRange = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    // Per day written: its last mark, and when the table's partition of it was built (NULL: never).
    const rows = await sql.rows(
      'reading which rollup days are current',
      `SELECT toUnixTimestamp64Micro(s.day) AS day_us, toUnixTimestamp64Micro(s.written) AS written_us,
         s.written > coalesce(b.built, toDateTime64(0, 6, 'UTC')) AS stale,
         coalesce(b.built, toDateTime64(0, 6, 'UTC')) > toDateTime64(0, 6, 'UTC') AS built
       FROM (SELECT day, max(at) AS written FROM rollup_stale ${inRange} GROUP BY day) s
       LEFT JOIN (SELECT day, max(built_at) AS built FROM ${o.read.table} ${inRange} GROUP BY day) b ON s.day = b.day
       ORDER BY day_us`,
      params,
    );
    const yes = (v: unknown) => v === true || v === 1;
    return rows.map((r) => {
      const day = Number(r.day_us);
      const stale = horizon !== null && day < horizon ? !yes(r.built) : yes(r.stale);
      return { day, written: Number(r.written_us), stale };
    });
  };
  const due = (days: { day: number; stale: boolean }[]) =>
    days
      .filter((d) => d.stale && d.day + DAY_US <= o.now && (horizon === null || d.day >= horizon))
      .map((d) => d.day);
  let days = await read();
  if (due(days).length > 0) {
    // Read again in the turn: reports asked at once (a dashboard's panels) each found the same days due, and the
    // first to build them built them for all; building them again for each took as many times as long.
    await o.turn(async () => {
      const still = due(await read());
      if (still.length > 0) await buildDays(sql, still, o.build);
    });
    days = await read();
  }
  return {
    fresh: days.filter((d) => !d.stale).map((d) => d.day),
    unbuilt: days
      .filter((d) => horizon !== null && d.day < horizon && d.stale)
      .map(({ day, written }) => ({ day, written })),
  };
}

/** A day before the horizon that a day table never built, and when it was last written (epoch µs). */
export interface Unbuilt {
  day: number;
  written: number;
}

/** Where a read of a range goes: the whole UTC days a day table holds as they are now; the rest, to the events. */
export interface DayPlan {
  fresh: number[];
  raw: Range[];
}

/** A day table's rows of the days of `fresh` as a condition on its `day`, on a parameter of its own: FALSE for none. */
export function freshSql(fresh: readonly number[]): [where: string, params: Record<string, unknown>] {
  if (fresh.length === 0) return ['FALSE', {}];
  return [`day IN {fresh:Array(${TIME})}`, { fresh: fresh.map(chTime) }];
}

/** `range` less the UTC days of `fresh` (sorted, each within it): the ranges left to read from the events, in order. */
export function aroundDays(range: Range, fresh: readonly number[]): Range[] {
  const raw: Range[] = [];
  let cursor = range.from;
  for (const day of fresh) {
    if (cursor === undefined || cursor < day) raw.push({ from: cursor, to: day });
    cursor = day + DAY_US;
  }
  if (cursor === undefined || range.to === undefined || cursor < range.to)
    raw.push({ from: cursor, to: range.to });
  return raw;
}

/** Days built per statement: each build reads their events whole. */
const DAYS_PER_BUILD = 7;

/** Builds the partitions of `days` of every table of `tables` from the events, each swapped in whole. */
export async function buildDays(
  sql: ClickHouseSql,
  days: readonly number[],
  tables: readonly DayTable[],
): Promise<void> {
  for (let i = 0; i < days.length; i += DAYS_PER_BUILD) {
    const part = days.slice(i, i + DAYS_PER_BUILD);
    for (const t of tables) await buildTable(sql, t, part);
  }
}

async function buildTable(sql: ClickHouseSql, t: DayTable, days: readonly number[]): Promise<void> {
  // A table of this build's own: two instances building the same day at once each swap in a whole build.
  const build = `${t.table}_build_${randomBytes(6).toString('hex')}`;
  await sql.run('building rollup days', `CREATE TABLE ${build} AS ${t.table}`);
  try {
    await sql.run(
      'building rollup days',
      `INSERT INTO ${build} ${t.build(
        `ts >= fromUnixTimestamp64Micro({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Micro({to:Int64}, 'UTC')
         AND toUnixTimestamp(toStartOfDay(ts)) IN {days:Array(Int64)}`,
      )}`,
      { days: days.map((d) => d / 1_000_000), from: Math.min(...days), to: Math.max(...days) + DAY_US },
    );
    const built = await sql.rows(
      'building rollup days',
      `SELECT DISTINCT partition_id FROM system.parts WHERE database = currentDatabase() AND table = {t:String}
         AND active`,
      { t: build },
    );
    for (const { partition_id } of built) {
      // A partition id is written into the statement (ClickHouse takes no parameter there): toYYYYMMDD's digits.
      const id = String(partition_id);
      if (!/^\d{8}$/.test(id)) throw new Error(`unexpected rollup partition ${JSON.stringify(id)}`);
      await sql.run(
        'swapping in rollup days',
        `ALTER TABLE ${t.table} REPLACE PARTITION ID '${id}' FROM ${build}`,
      );
    }
  } finally {
    await sql.run('building rollup days', `DROP TABLE IF EXISTS ${build}`);
  }
}
