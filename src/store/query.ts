/**
 * The typed query model every report, budget and dashboard asks the store with. Stores compile it to parameterised
 * SQL per dialect; user text only ever arrives as a bound parameter, never spliced into SQL.
 */
import { ATTRIBUTION_FIELDS, USAGE_FIELDS } from '../ledger/event.js';

export const MONEY_MEASURES = [
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
] as const;
/** Every usage count (ledger/event.ts USAGE_FIELDS), `requests` last as reports show it, then the event count. */
export const COUNT_MEASURES = [
  ...USAGE_FIELDS.filter((f) => f !== 'requests'),
  'requests',
  'events',
] as const;
export const MEASURES = [...MONEY_MEASURES, ...COUNT_MEASURES] as const;
type MoneyMeasure = (typeof MONEY_MEASURES)[number];
type CountMeasure = (typeof COUNT_MEASURES)[number];

/** Fields a report can group or filter by; `tag.KEY` groups by one tag. */
export const DIMENSIONS = [
  ...ATTRIBUTION_FIELDS,
  'source',
  'provider',
  'model',
  'model_requested',
  'operation',
  'service_tier',
  'route_id',
  'status',
  'error_type',
  'cost_source',
  'price_version',
] as const;
export type FieldDimension = (typeof DIMENSIONS)[number];
export type Dimension = FieldDimension | `tag.${string}`;

export const BUCKETS = ['hour', 'day', 'week', 'month'] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface Filter {
  dimension: Dimension;
  /** Rows whose value is one of these (null matches an empty value). */
  values: readonly (string | null)[];
  /** Rows whose value is none of them instead. */
  exclude?: boolean;
}

export interface Query {
  dimensions: readonly Dimension[];
  filters?: readonly Filter[];
  /** Epoch microseconds, inclusive. */
  since?: number;
  /** Epoch microseconds, exclusive. */
  until?: number;
  bucket?: Bucket;
  /**
   * IANA time zone whose calendar the buckets follow: a day bucket is a local day (23 or 25 hours across DST), a
   * week starts on the local Monday. UTC when not given. A bucket is still returned as the UTC instant it starts at.
   */
  timeZone?: string;
  /**
   * Keep the N groups of `dimensions` with the largest cost over the whole range and fold the rest into one row
   * whose dimension values are all "other" (per bucket when bucketed).
   */
  top?: number;
  /**
   * With `top` over a whole range: rank by the first dimension alone (its N costliest values, each listed with the
   * other dimensions it occurs with). For keys whose other dimensions follow from the first (a session's agent and
   * person) it names the same groups and hashes one key instead of several.
   */
  rankByFirst?: boolean;
  /**
   * With `top` over a whole range: also keep the N groups with the most calls (`requests`), ranked alike (the
   * sessions page's longest sessions, found in the same pass as the costliest). The kept groups are listed in order
   * of cost; "other" is what neither list keeps.
   */
  topRequests?: number;
  /**
   * With `top` over a whole range: false leaves the "other" row out. The rest is then not summed at all (a page that
   * lists only the top saves a pass over every measure of the range), and `totals` cover only the rows kept.
   */
  other?: boolean;
  /** Also return what events cost as first billed, before any reprice (`billed_cost_usd`, `billed_unpriced_events`). */
  billed?: boolean;
}

export type Measures = Record<MoneyMeasure, bigint> &
  Record<CountMeasure, number> & {
    billed_cost_usd?: bigint;
    /**
     * With billed_cost_usd: its events that had no price when billed (unpriced then, whatever a reprice found
     * since). Not in billed_cost_usd, which is $0 when all of them are (never read it as free).
     */
    billed_unpriced_events?: number;
  };

export interface Row extends Measures {
  /** Bucket start, ISO-8601 UTC, when the query has a bucket. */
  bucket?: string;
  /** Dimension values by dimension name (`tag.KEY` included); null is "not set". */
  dims: Record<string, string | null>;
  /** The "other" row of a top-N: every group outside the N, its dimensions all "other". */
  folded?: true;
  /** Events of this row with no price: not in its cost, which is $0 when all of them are (never read it as free). */
  unpriced_events: number;
  /**
   * Pico-dollars this row took (+) or gave (−) when the report shared its unattributed cost
   * (allocation/share-unattributed.ts); absent otherwise.
   */
  shared_usd?: bigint;
}

/** Joules the events of one group used (Store.energy): only groups with energy have a row. */
export interface EnergyRow {
  bucket?: string;
  dims: Record<string, string | null>;
  energy_j: number;
}

/**
 * What the gateway's response cache saved one group (Store.cacheSavings): its hits, and what the calls first
 * answered with their answers cost. Only groups with hits have a row.
 */
export interface CacheSavingsRow {
  bucket?: string;
  dims: Record<string, string | null>;
  hits: number;
  /** Σ the cost of the event each hit was answered from, pico-dollars, over the hits whose event has a price. */
  saved_usd: bigint;
  /** Hits whose event has no price, or is not in this ledger: left out of `saved_usd` (unknown, not $0). */
  unpriced: number;
}

export interface QueryResult {
  rows: Row[];
  totals: Measures;
  /** Events with no price in the range and filters, and their tokens: never silently counted as $0. */
  unpriced: { events: number; tokens: number };
}

/**
 * The zone a query's buckets are local to, or undefined for UTC's, which are the stored days (the daily rollups
 * hold UTC days, so only these can be read from them).
 */
export function bucketZone(q: Pick<Query, 'timeZone'>): string | undefined {
  return q.timeZone === undefined || UTC_NAMES.has(q.timeZone) ? undefined : q.timeZone;
}
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu']);

export function isBucket(name: string): name is Bucket {
  return (BUCKETS as readonly string[]).includes(name);
}

export function isDimension(name: string): name is Dimension {
  return (DIMENSIONS as readonly string[]).includes(name) || /^tag\.[A-Za-z0-9_.:-]+$/.test(name);
}

/**
 * A filter value that holds another condition after a comma (`web,model=gpt-5` from `team=web,model=gpt-5`): the
 * value before it and the condition, or null. Looking for a team named "web,model=gpt-5" would find nothing and
 * say nothing, so the CLI and the API refuse it and say how to give two conditions.
 */
export function joinedCondition(value: string): { value: string; condition: string } | null {
  const parts = value.split(',');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (isDimension(part.slice(0, part.indexOf('=')).trim()))
      return { value: parts.slice(0, i).join(','), condition: parts.slice(i).join(',').trim() };
  }
  return null;
}
