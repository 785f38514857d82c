import { ATTRIBUTION_FIELDS, COST_FIELDS, USAGE_FIELDS } from '../../ledger/event.js';
import { branchHoursSchemaSql } from './branch-hours.js';
import { ident } from './dialect.js';
import { focusDaysSchemaSql } from './focus-days.js';
import { importRecordsSchemaSql } from './import-records.js';
import { reconcileDaysSchemaSql } from './reconcile-days.js';
import { RAW_HORIZON_SQL } from './retire.js';
import { rollupSchemaSql } from './rollup.js';
import { SERVER_MICROS } from './time.js';

/**
 * The ledger's tables in ClickHouse (docs/store.md, ClickHouse). One wide `events` table: ClickHouse stores each column
 * apart and compresses repeats, so the contexts DuckDB splits off cost nothing here.
 *
 * Rows are never updated in place. A reprice or an attribution patch inserts the event again with a higher `_version`,
 * and ReplacingMergeTree keeps the newest row of each `(ts, event_id)` as parts merge; every read says FINAL, which
 * applies that before merges do. The same holds for an event two gateway instances appended at once: both rows are
 * equal, and reads see one.
 */
const LOW = 'LowCardinality(Nullable(String))';
const TIME = `DateTime64(6, 'UTC')`;

/** Dimension columns most reports group by: few distinct values each, so dictionary-encoded. */
const LOW_CARDINALITY = new Set(['org', 'team', 'user', 'project', 'agent', 'environment']);

export const EVENT_COLUMNS: readonly (readonly [string, string])[] = [
  ['event_id', 'String'],
  ['ts', TIME],
  ['ingested_at', TIME],
  ['source', 'LowCardinality(String)'],
  ['source_ref', 'Nullable(String)'],
  ['duration_ms', 'Nullable(Float64)'],
  ['ttft_ms', 'Nullable(Float64)'],
  ...ATTRIBUTION_FIELDS.map((f) => [f, LOW_CARDINALITY.has(f) ? LOW : 'Nullable(String)'] as const),
  ['tags', 'Map(String, String)'],
  ['provider', LOW],
  ['model', 'LowCardinality(String)'],
  ['model_requested', LOW],
  ['operation', LOW],
  ['service_tier', LOW],
  ['route_id', LOW],
  ...USAGE_FIELDS.map((f) => [f, 'UInt64'] as const),
  // Pico-dollars (money/money.ts), as DuckDB's HUGEINT: exact integers, never floats.
  ...COST_FIELDS.map((f) => [f, 'Nullable(Int128)'] as const),
  ['cost_source', 'LowCardinality(String)'],
  ['price_version', LOW],
  ['provider_cost_usd', 'Nullable(Int128)'],
  // The rate card in RATE_FIELDS order (18 fractional digits each); empty when the event has none.
  ['rates', 'Array(Int128)'],
  ['energy_j', 'Nullable(Float64)'],
  ['energy_source', LOW],
  ['status', 'LowCardinality(String)'],
  ['error_type', LOW],
  // What the event cost when first billed, set by its first reprice (NULL until then), and whether it had no price
  // then: reports' as-billed cost (compile-query.ts billedCostSql).
  ['billed_cost_usd', 'Nullable(Int128)'],
  ['billed_unpriced', 'Bool'],
  // Set by the server as each row arrives, so every writer's replacements are ordered on one clock.
  ['_version', `UInt64 DEFAULT ${SERVER_MICROS}`],
];

export function schemaSql(): string[] {
  const columns = EVENT_COLUMNS.map(([name, type]) => `${ident(name)} ${type}`).join(',\n  ');
  return [
    `CREATE TABLE IF NOT EXISTS events (\n  ${columns}\n) ENGINE = ReplacingMergeTree(_version)
PARTITION BY toYYYYMM(ts) ORDER BY (ts, event_id)`,
    `CREATE TABLE IF NOT EXISTS call_content (
  event_id String, ts ${TIME}, request String, completion String
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(ts) ORDER BY (ts, event_id)`,
    `CREATE TABLE IF NOT EXISTS reprice_audit (
  event_id String, ts ${TIME}, repriced_at ${TIME},
  old_price_version Nullable(String), new_price_version Nullable(String),
  old_cost_usd Nullable(Int128), new_cost_usd Nullable(Int128)
) ENGINE = MergeTree ORDER BY (repriced_at, ts, event_id)`,
    ...rollupSchemaSql(),
    focusDaysSchemaSql(),
    reconcileDaysSchemaSql(),
    branchHoursSchemaSql(),
    ...importRecordsSchemaSql(),
    RAW_HORIZON_SQL,
    // Energy readings of retired months (retire.ts): the only events kept past the horizon.
    'CREATE TABLE IF NOT EXISTS retired_energy AS events',
  ];
}
