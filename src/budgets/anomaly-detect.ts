import { TokenledgerError } from '../errors.js';
import type { Dimension, Filter } from '../store/query.js';
import type { Store } from '../store/store.js';
import { type Anomaly, type AnomalyOptions, findAnomalies } from './anomaly.js';

export interface DetectAnomaliesOptions extends AnomalyOptions {
  /** The scope dimension spend is split by; default team. */
  dimension?: Dimension;
  /** Epoch ms: the hours examined, [since, until). */
  since: number;
  until: number;
  /** Weeks before `since` the baseline is learnt from; default 4. */
  weeks?: number;
  /** Narrow to part of the ledger (e.g. one org). */
  filters?: readonly Filter[];
}

export interface DetectedAnomaly extends Anomaly {
  dimension: Dimension;
}

const WEEK_MS = 7 * 86_400_000;
/** Epoch ms stays below this until the year 5138; epoch µs of any date after 1973 is above it. */
const MAX_MS = 1e14;

export function checkEpochMs(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v >= MAX_MS) {
    throw new TokenledgerError(
      'BUDGET_BAD_TIME',
      `${name} must be epoch milliseconds (an integer below 1e14), got ${v}: divide epoch microseconds by 1000`,
    );
  }
}

/**
 * Hours in which a scope (a team by default) spent far more than its baseline, from the ledger's hourly spend.
 * One store query over [since − weeks, until), grouped by the dimension and hour.
 *
 * @example
 * await detectAnomalies(store, { since: nowMs - 86_400_000, until: nowMs }) // [{ dimension: 'team', value: 'ml', … }]
 */
export async function detectAnomalies(store: Store, o: DetectAnomaliesOptions): Promise<DetectedAnomaly[]> {
  checkEpochMs('since', o.since);
  checkEpochMs('until', o.until);
  const dimension = o.dimension ?? 'team';
  const baselineFrom = o.since - (o.weeks ?? 4) * WEEK_MS;
  const res = await store.query({
    dimensions: [dimension],
    filters: o.filters,
    since: baselineFrom * 1000,
    until: o.until * 1000,
    bucket: 'hour',
    // Hours of the zone whose days the baseline slots follow (they differ from UTC's in part-hour zones).
    ...(o.tz !== undefined ? { timeZone: o.tz } : {}),
  });
  const rows = res.rows.map((r) => ({
    hour: Date.parse(r.bucket!),
    value: r.dims[dimension] ?? null,
    spend: r.cost_usd,
  }));
  return findAnomalies(rows, { baselineFrom, since: o.since, until: o.until }, o).map((a) => ({
    dimension,
    ...a,
  }));
}
