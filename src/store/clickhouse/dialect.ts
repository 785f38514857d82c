import type { Bucket } from '../query.js';
import type { SqlDialect } from '../sql/dialect.js';

/** A quoted ClickHouse identifier (names come from the closed lists in query.ts and the schema, never from users). */
export const ident = (name: string): string => `\`${name.replace(/[`\\]/g, (c) => `\\${c}`)}\``;

/**
 * The start of `bucket` holding `t`, a DateTime64 in `zone`, whose calendar applies. `zone` appears once in every
 * case: with the conversion to it, twice, as the compiler binds a zone (SqlDialect.bucketStart).
 */
function startOf(bucket: Bucket, t: string, zone: string): string {
  switch (bucket) {
    case 'hour':
      return `toTimeZone(toStartOfHour(${t}), ${zone})`;
    case 'day':
      return `toTimeZone(toStartOfDay(${t}), ${zone})`;
    // toMonday and toStartOfMonth give a calendar date: its midnight in the zone is the bucket's instant.
    case 'week':
      return `toDateTime(toMonday(${t}), ${zone})`;
    case 'month':
      return `toDateTime(toStartOfMonth(${t}), ${zone})`;
  }
}

/**
 * ClickHouse keeps a DateTime64 as an instant with a zone for display and calendar functions, so a zone's bucket is
 * the instant converted to that zone, truncated on its calendar, and cast back to a UTC DateTime64(6). A zone given as
 * a query parameter is a constant, as ClickHouse's calendar functions require.
 */
export const CLICKHOUSE_DIALECT: SqlDialect = {
  name: 'clickhouse',
  ident,
  timestampParam: () => `fromUnixTimestamp64Micro(?, 'UTC')`,
  bucketStart: (bucket, ts, zone) =>
    zone === undefined
      ? `toDateTime64(${startOf(bucket, ts, `'UTC'`)}, 6, 'UTC')`
      : `toDateTime64(${startOf(bucket, `toTimeZone(${ts}, ${zone})`, zone)}, 6, 'UTC')`,
  // As DuckDB's (duckdb/dialect.ts): every zone's offset since 1980 is a whole number of quarter hours.
  zoneSlot: (ts) =>
    `if(${ts} >= toDateTime64('1980-01-01 00:00:00', 6, 'UTC'), toStartOfInterval(${ts}, INTERVAL 15 MINUTE), ${ts})`,
  tagValue: (tags, keyParam) => `arrayElementOrNull(${tags}, ${keyParam})`,
  sum: (expr) => `coalesce(sum(${expr}), 0)`,
  rankByCost: (costSum, tieBreak) =>
    `row_number() OVER (ORDER BY ${costSum} DESC${tieBreak.map((t) => `, ${t} ASC NULLS FIRST`).join('')})`,
  nullSafeEquals: (a, b) => `${a} <=> ${b}`,
  allBut: (column) => `* EXCEPT (${column})`,
};
