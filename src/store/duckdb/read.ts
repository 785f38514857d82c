import type { DuckDBValue } from '@duckdb/node-api';
import {
  ATTRIBUTION_FIELDS,
  type CostSource,
  type EnergySource,
  EVENT_FIELDS,
  type Status,
  USAGE_FIELDS,
  type UsageEvent,
} from '../../ledger/event.js';
import { setOwn } from '../../ledger/own-key.js';
import { MONEY_MEASURES } from '../query.js';
import type { RateCardRegistry } from './rate-cards.js';
import { q } from './schema.js';

/** Columns `events()` selects from ledger_pico, in the order rowToEvent reads them. */
const EVENT_READ_COLUMNS = [...EVENT_FIELDS, 'rate_id'] as const;

export const EVENT_READ_SQL = EVENT_READ_COLUMNS.map(q).join(', ');

type Micros = { micros: bigint };
type MapValue = { entries: { key: DuckDBValue; value: DuckDBValue }[] };

const str = (v: DuckDBValue): string | null => (v === null ? null : String(v));
const num = (v: DuckDBValue): number | null => (v === null ? null : Number(v));
const big = (v: DuckDBValue): bigint | null => (v === null ? null : (v as bigint));

export function micros(v: DuckDBValue): number {
  return Number((v as unknown as Micros).micros);
}

/** A ledger_pico row (EVENT_READ_COLUMNS) back into the UsageEvent that was appended. */
export function rowToEvent(row: readonly DuckDBValue[], rates: RateCardRegistry): UsageEvent {
  const v = Object.fromEntries(EVENT_READ_COLUMNS.map((c, i) => [c, row[i] ?? null])) as Record<
    (typeof EVENT_READ_COLUMNS)[number],
    DuckDBValue
  >;
  const tags: Record<string, string> = {};
  if (v.tags !== null)
    for (const { key, value } of (v.tags as unknown as MapValue).entries)
      setOwn(tags, String(key), String(value));
  const rateId = num(v.rate_id);
  const attribution = Object.fromEntries(ATTRIBUTION_FIELDS.map((f) => [f, str(v[f])])) as Record<
    (typeof ATTRIBUTION_FIELDS)[number],
    string | null
  >;
  const usage = Object.fromEntries(USAGE_FIELDS.map((f) => [f, Number(v[f])])) as Record<
    (typeof USAGE_FIELDS)[number],
    number
  >;
  const money = Object.fromEntries(MONEY_MEASURES.map((m) => [m, big(v[m])])) as Record<
    (typeof MONEY_MEASURES)[number],
    bigint | null
  >;
  return {
    event_id: (v.event_id as bigint).toString(16).padStart(16, '0'),
    source: String(v.source),
    source_ref: str(v.source_ref),
    ingested_at: micros(v.ingested_at),
    ts: micros(v.ts),
    duration_ms: num(v.duration_ms),
    ttft_ms: num(v.ttft_ms),
    ...attribution,
    tags,
    provider: str(v.provider),
    model: String(v.model),
    model_requested: str(v.model_requested),
    operation: str(v.operation),
    service_tier: str(v.service_tier),
    route_id: str(v.route_id),
    ...usage,
    ...money,
    cost_source: String(v.cost_source) as CostSource,
    price_version: str(v.price_version),
    rates: rateId === null ? null : (rates.card(rateId) ?? null),
    provider_cost_usd: big(v.provider_cost_usd),
    energy_j: num(v.energy_j),
    energy_source: str(v.energy_source) as EnergySource | null,
    status: String(v.status) as Status,
    error_type: str(v.error_type),
  };
}
