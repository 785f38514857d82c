import {
  ATTRIBUTION_FIELDS,
  COST_FIELDS,
  type CostSource,
  type EnergySource,
  RATE_FIELDS,
  type RateCard,
  type Status,
  USAGE_FIELDS,
  type UsageEvent,
} from '../../ledger/event.js';
import { ident } from './dialect.js';
import { EVENT_COLUMNS } from './schema.js';
import { chTime } from './time.js';

/** A row as ClickHouse reads and writes it in JSONEachRow (64-bit and wider integers as decimal strings). */
export type JsonRow = Record<string, unknown>;

const TIMES = new Set(['ts', 'ingested_at']);
const MONEY = new Set<string>([...COST_FIELDS, 'provider_cost_usd', 'billed_cost_usd']);

/** An event as a row of `events`; the server sets its `_version` as it arrives (schema.ts). */
export function eventRow(
  e: UsageEvent,
  billed: { cost: bigint | null; unpriced: boolean } = { cost: null, unpriced: false },
): JsonRow {
  const row: JsonRow = {};
  for (const [name] of EVENT_COLUMNS) {
    if (name === 'rates') row.rates = e.rates ? RATE_FIELDS.map((f) => e.rates![f].toString()) : [];
    else if (name === 'billed_cost_usd') row[name] = billed.cost === null ? null : billed.cost.toString();
    else if (name === 'billed_unpriced') row[name] = billed.unpriced;
    else if (name === '_version') continue;
    else {
      const v = e[name as keyof UsageEvent];
      if (TIMES.has(name)) row[name] = chTime(v as number);
      else if (MONEY.has(name)) row[name] = v === null ? null : (v as bigint).toString();
      else row[name] = v;
    }
  }
  return row;
}

/**
 * The SELECT list reading `events` rows back for rowEvent: times as epoch microseconds, named apart from the columns
 * (in ClickHouse an alias is what a WHERE on that name reads).
 */
export const EVENT_SELECT = EVENT_COLUMNS.map(([name]) =>
  TIMES.has(name) ? `toUnixTimestamp64Micro(${ident(name)}) AS ${ident(`${name}_us`)}` : ident(name),
).join(', ');

const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));

/** A row read with EVENT_SELECT as the event it stores, with what it was first billed. */
export function rowEvent(r: JsonRow): {
  event: UsageEvent;
  billedCost: bigint | null;
  billedUnpriced: boolean;
} {
  const rates = r.rates as string[];
  const card =
    rates.length === 0
      ? null
      : (Object.fromEntries(RATE_FIELDS.map((f, i) => [f, BigInt(rates[i]!)])) as unknown as RateCard);
  const e = {
    event_id: String(r.event_id),
    source: String(r.source),
    source_ref: nullable(r.source_ref),
    ingested_at: Number(r.ingested_at_us),
    ts: Number(r.ts_us),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    ttft_ms: r.ttft_ms === null ? null : Number(r.ttft_ms),
    ...Object.fromEntries(ATTRIBUTION_FIELDS.map((f) => [f, nullable(r[f])])),
    tags: r.tags as Record<string, string>,
    provider: nullable(r.provider),
    model: String(r.model),
    model_requested: nullable(r.model_requested),
    operation: nullable(r.operation),
    service_tier: nullable(r.service_tier),
    route_id: nullable(r.route_id),
    ...Object.fromEntries(USAGE_FIELDS.map((f) => [f, Number(r[f])])),
    ...Object.fromEntries(COST_FIELDS.map((f) => [f, bigOrNull(r[f])])),
    cost_source: String(r.cost_source) as CostSource,
    price_version: nullable(r.price_version),
    rates: card,
    provider_cost_usd: bigOrNull(r.provider_cost_usd),
    energy_j: r.energy_j === null ? null : Number(r.energy_j),
    energy_source: nullable(r.energy_source) as EnergySource | null,
    status: String(r.status) as Status,
    error_type: nullable(r.error_type),
  } as UsageEvent;
  return { event: e, billedCost: bigOrNull(r.billed_cost_usd), billedUnpriced: r.billed_unpriced === true };
}
