import type { SqlDialect } from '../sql/dialect.js';
import { q } from './schema.js';

export const DUCKDB_DIALECT: SqlDialect = {
  name: 'duckdb',
  ident: q,
  timestampParam: () => 'make_timestamp(?::BIGINT)',
  // DuckDB TIMESTAMP has no zone: stored values are UTC, so date_trunc buckets are UTC (weeks start on Monday).
  bucketStart: (bucket, ts) => `date_trunc('${bucket}', ${ts})`,
  tagValue: (tags, keyParam) => `map_extract_value(${tags}, ${keyParam}::VARCHAR)`,
  sum: (expr) => `coalesce(sum(${expr}), 0)`,
  rankByCost: (costSum, tieBreak) =>
    `row_number() OVER (ORDER BY ${costSum} DESC${tieBreak.map((t) => `, ${t} ASC NULLS FIRST`).join('')})`,
  nullSafeEquals: (a, b) => `${a} IS NOT DISTINCT FROM ${b}`,
};
