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
  tagValue: (tags, keyParam) => `map_extract_value(${tags}, ${keyParam}::VARCHAR)`,
  sum: (expr) => `coalesce(sum(${expr}), 0)`,
  rankByCost: (costSum, tieBreak) =>
    `row_number() OVER (ORDER BY ${costSum} DESC${tieBreak.map((t) => `, ${t} ASC NULLS FIRST`).join('')})`,
  nullSafeEquals: (a, b) => `${a} IS NOT DISTINCT FROM ${b}`,
};
