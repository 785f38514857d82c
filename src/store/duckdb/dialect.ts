import type { SqlDialect } from '../sql/dialect.js';
import { q } from './schema.js';

export const DUCKDB_DIALECT: SqlDialect = {
  name: 'duckdb',
  ident: q,
  timestampParam: () => 'make_timestamp(?::BIGINT)',
  // DuckDB TIMESTAMP has no zone: stored values are UTC, so date_trunc buckets are UTC (weeks start on Monday). In
  // a zone: the UTC instant as that zone's wall clock, truncated there, and that local start back to a UTC instant
  // (ICU's timezone(); each zone named explicitly, so DuckDB's session TimeZone plays no part).
  bucketStart: (bucket, ts, zone) =>
    zone === undefined
      ? `date_trunc('${bucket}', ${ts})`
      : `timezone('UTC', timezone(${zone}, date_trunc('${bucket}', timezone(${zone}, timezone('UTC', ${ts})))))`,
  // Every zone's offset since 1980 is a whole number of quarter hours (checked against the 418 zones ICU knows:
  // before, Africa/Monrovia's was 44.5 minutes until 1972 and Pacific/Kiritimati's −10:40 until 1979), so a zone's
  // bucket starts on a UTC quarter hour; an older time is its own slot. ICU's timezone() on each event had been most
  // of a month's local days at 10M events (docs/store.md, Query).
  zoneSlot: (ts) =>
    `CASE WHEN ${ts} >= TIMESTAMP '1980-01-01' THEN time_bucket(INTERVAL 15 MINUTE, ${ts}) ELSE ${ts} END`,
  tagValue: (tags, keyParam) => `map_extract_value(${tags}, ${keyParam}::VARCHAR)`,
  sum: (expr) => `coalesce(sum(${expr}), 0)`,
  rankByCost: (costSum, tieBreak) =>
    `row_number() OVER (ORDER BY ${costSum} DESC${tieBreak.map((t) => `, ${t} ASC NULLS FIRST`).join('')})`,
  nullSafeEquals: (a, b) => `${a} IS NOT DISTINCT FROM ${b}`,
  allBut: (column) => `* EXCLUDE (${column})`,
};
