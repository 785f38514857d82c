import { ianaTimeZone } from '../../ledger/time.js';
import { storeError } from '../errors.js';
import { BUCKETS, bucketZone, type Dimension, type Filter, isDimension, type Query } from '../query.js';
import { ROLLUPS, type RollupKind, type RollupName } from './rollup-dims.js';

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
  /**
   * Raw-event ranges to subtract: the part of a whole rollup day outside the query's range, when that part is the
   * lighter one (fewer events, as the store weighs them; shorter by default): a report until now reads today from
   * the rollup minus the events after now, none, instead of summing today's events; one since 30 days ago at 02:00
   * subtracts 2 hours rather than adding 22.
   */
  minus?: Range[];
  /** Which rollup `rollup` reads (set whenever it is). */
  via?: RollupName;
}

export function validateQuery(q: Query): void {
  const bad = (msg: string) => storeError('STORE_BAD_QUERY', msg);
  for (const d of [...q.dimensions, ...(q.filters ?? []).map((f) => f.dimension)]) {
    if (!isDimension(d)) {
      throw bad(`unknown dimension ${JSON.stringify(d)}: use a ledger field (team, model, …) or tag.KEY`);
    }
  }
  const twice = q.dimensions.find((d, i) => q.dimensions.indexOf(d) !== i);
  if (twice !== undefined) throw bad(`dimension ${JSON.stringify(twice)} is listed twice`);
  if (q.bucket !== undefined && !BUCKETS.includes(q.bucket)) {
    throw bad(`unknown bucket ${JSON.stringify(q.bucket)}: use one of ${BUCKETS.join(', ')}`);
  }
  if (q.timeZone !== undefined && ianaTimeZone(q.timeZone) === null)
    throw bad(`unknown time zone ${JSON.stringify(q.timeZone)}: use an IANA name, e.g. Europe/Berlin or UTC`);
  for (const [name, v] of [
    ['since', q.since],
    ['until', q.until],
  ] as const) {
    if (v !== undefined && !Number.isSafeInteger(v)) throw bad(`${name} must be integer epoch microseconds`);
  }
  if (q.top !== undefined && (!Number.isSafeInteger(q.top) || q.top < 1))
    throw bad('top must be a positive integer');
  if (q.rankByFirst && (q.top === undefined || q.bucket !== undefined))
    throw bad('rankByFirst ranks the groups of a top-N over a whole range: give top and no bucket');
  if (q.other === false && (q.top === undefined || q.bucket !== undefined))
    throw bad(
      'other: false leaves out the "other" row of a top-N over a whole range: give top and no bucket',
    );
  if (q.topRequests !== undefined) {
    if (!Number.isSafeInteger(q.topRequests) || q.topRequests < 1)
      throw bad('topRequests must be a positive integer');
    if (q.top === undefined || q.bucket !== undefined)
      throw bad('topRequests adds to the groups of a top-N over a whole range: give top and no bucket');
  }
}

/**
 * The first rollup keyed by every dimension the query groups or filters by; none for an hourly bucket, or for
 * buckets in a zone other than UTC: a rollup row is a UTC day, which straddles two local days there.
 */
export function pickRollup(q: Query, rollups: readonly RollupKind[] = ROLLUPS): RollupKind | undefined {
  if (q.bucket === 'hour' || (q.bucket !== undefined && bucketZone(q) !== undefined)) return undefined;
  const needed: Dimension[] = [...q.dimensions, ...(q.filters ?? []).map((f: Filter) => f.dimension)];
  return rollups.find((r) => needed.every((d) => (r.dimensions as readonly string[]).includes(d)));
}

/** What reading a range of raw events costs, to choose each partial day's side: its length by default. */
export type Weigh = (r: { from: number; to: number }) => number;

const byLength: Weigh = (r) => r.to - r.from;

/**
 * The edges a plan may read raw, both sides of each partial day: what a store weighs (by the events in them)
 * before planning with `weigh`.
 */
export function edgeRanges(q: Query): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const t of [q.since, q.until]) {
    if (t === undefined || floorDay(t) === t) continue;
    out.push({ from: floorDay(t), to: t }, { from: t, to: ceilDay(t) });
  }
  return out;
}

export function planRead(
  q: Query,
  rollups: readonly RollupKind[] = ROLLUPS,
  weigh: Weigh = byLength,
): ReadPlan {
  const whole: Range = { from: q.since, to: q.until };
  const kind = pickRollup(q, rollups);
  if (!kind) return { rollup: null, raw: [whole] };
  const raw: Range[] = [];
  const minus: Range[] = [];
  let from: number | undefined;
  let to: number | undefined;
  if (q.since !== undefined) {
    const [down, up] = [floorDay(q.since), ceilDay(q.since)];
    if (up === q.since) from = up;
    else if (weigh({ from: down, to: q.since }) < weigh({ from: q.since, to: up })) {
      from = down;
      minus.push({ from: down, to: q.since });
    } else {
      from = up;
      raw.push({ from: q.since, to: up });
    }
  }
  if (q.until !== undefined) {
    const [down, up] = [floorDay(q.until), ceilDay(q.until)];
    if (down === q.until) to = down;
    else if (weigh({ from: q.until, to: up }) < weigh({ from: down, to: q.until })) {
      to = up;
      minus.push({ from: q.until, to: up });
    } else {
      to = down;
      raw.push({ from: down, to: q.until });
    }
  }
  if (from !== undefined && to !== undefined && from >= to) return { rollup: null, raw: [whole] };
  // A short range within a day or two: reading its events directly scans less than whole days minus the rest.
  const span = (rs: Range[]) => rs.reduce((n, r) => n + (r.to! - r.from!), 0);
  if (q.since !== undefined && q.until !== undefined && span([...raw, ...minus]) >= q.until - q.since)
    return { rollup: null, raw: [whole] };
  return { rollup: { from, to }, raw, ...(minus.length > 0 ? { minus } : {}), via: kind.name };
}

function floorDay(us: number): number {
  return Math.floor(us / DAY_US) * DAY_US;
}

function ceilDay(us: number): number {
  return Math.ceil(us / DAY_US) * DAY_US;
}
