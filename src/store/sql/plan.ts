import { storeError } from '../errors.js';
import { BUCKETS, type Dimension, type Filter, isDimension, type Query } from '../query.js';
import { inRollup } from './rollup-dims.js';

export const DAY_US = 86_400_000_000;

/** Half-open range of epoch microseconds; undefined ends are open. */
export interface Range {
  from?: number;
  to?: number;
}

/**
 * Where a query reads from: whole UTC days the rollup covers, and the raw-event ranges around them (a report
 * "since 30 days ago" starts mid-day: that partial day is summed from events and the rest from the rollup). Sums are
 * additive, so the two parts simply add up.
 */
export interface ReadPlan {
  rollup: Range | null;
  raw: Range[];
}

export function validateQuery(q: Query): void {
  const bad = (msg: string) => storeError('STORE_BAD_QUERY', msg);
  for (const d of [...q.dimensions, ...(q.filters ?? []).map((f) => f.dimension)]) {
    if (!isDimension(d)) {
      throw bad(`unknown dimension ${JSON.stringify(d)}: use a ledger field (team, model, …) or tag.KEY`);
    }
  }
  if (new Set(q.dimensions).size !== q.dimensions.length) throw bad('a dimension is listed twice');
  if (q.bucket !== undefined && !BUCKETS.includes(q.bucket)) {
    throw bad(`unknown bucket ${JSON.stringify(q.bucket)}: use one of ${BUCKETS.join(', ')}`);
  }
  for (const [name, v] of [
    ['since', q.since],
    ['until', q.until],
  ] as const) {
    if (v !== undefined && !Number.isSafeInteger(v)) throw bad(`${name} must be integer epoch microseconds`);
  }
  if (q.top !== undefined && (!Number.isSafeInteger(q.top) || q.top < 1))
    throw bad('top must be a positive integer');
}

const covered = (d: Dimension) => inRollup(d);

export function planRead(q: Query): ReadPlan {
  const whole: Range = { from: q.since, to: q.until };
  const usable =
    q.bucket !== 'hour' &&
    q.dimensions.every(covered) &&
    (q.filters ?? []).every((f: Filter) => covered(f.dimension));
  if (!usable) return { rollup: null, raw: [whole] };
  const from = q.since === undefined ? undefined : ceilDay(q.since);
  const to = q.until === undefined ? undefined : floorDay(q.until);
  if (from !== undefined && to !== undefined && from >= to) return { rollup: null, raw: [whole] };
  const raw: Range[] = [];
  if (q.since !== undefined && from! > q.since) raw.push({ from: q.since, to: from });
  if (q.until !== undefined && to! < q.until) raw.push({ from: to, to: q.until });
  return { rollup: { from, to }, raw };
}

export function floorDay(us: number): number {
  return Math.floor(us / DAY_US) * DAY_US;
}

export function ceilDay(us: number): number {
  return Math.ceil(us / DAY_US) * DAY_US;
}
