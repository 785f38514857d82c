import { parseUsd } from '../money/money.js';
import type { Filter } from '../store/query.js';
import type { Store } from '../store/store.js';
import { checkEpochMs } from './anomaly-detect.js';

/** One call's time (epoch ms) and cost (pico-dollars). */
export interface TimedCost {
  ts: number;
  cost: bigint;
}

export interface PeakWindow {
  /** Epoch ms of the first and last call in the costliest window. */
  first: number;
  last: number;
  spend: bigint;
  calls: number;
}

/**
 * The costliest run of calls within any `windowMs` (calls at t and t + windowMs are not in one window), by a
 * two-pointer sweep over calls sorted by time. Pure.
 */
export function peakWindow(calls: readonly TimedCost[], windowMs: number): PeakWindow | null {
  let best: PeakWindow | null = null;
  let sum = 0n;
  let left = 0;
  for (let i = 0; i < calls.length; i++) {
    sum += calls[i]!.cost;
    while (calls[left]!.ts <= calls[i]!.ts - windowMs) sum -= calls[left++]!.cost;
    if (best === null || sum > best.spend) {
      best = { first: calls[left]!.ts, last: calls[i]!.ts, spend: sum, calls: i - left + 1 };
    }
  }
  return best;
}

/**
 * Whether some `hours` consecutive hourly buckets sum past `max`. A window of W minutes touches at most ceil(W/60)+1
 * hour buckets, so a key that fails this cannot have spent more than `max` in any W minutes: the cheap pre-filter
 * that keeps the exact sweep to a handful of keys.
 */
export function passesInHours(byHour: ReadonlyMap<number, bigint>, hours: number, max: bigint): boolean {
  const HOUR = 3_600_000;
  for (const h of byHour.keys()) {
    let sum = 0n;
    for (let k = 0; k < hours; k++) sum += byHour.get(h + k * HOUR) ?? 0n;
    if (sum > max) return true;
  }
  return false;
}

export interface DetectRunawaysOptions {
  /** Epoch ms, [since, until). */
  since: number;
  until: number;
  /** Decimal USD: spending more than this within `windowMinutes` is a runaway. */
  maxUsd: string;
  windowMinutes: number;
  /** What one runaway is: a session (default) or an agent. */
  dimension?: 'session_id' | 'agent';
  filters?: readonly Filter[];
}

export interface Runaway extends PeakWindow {
  dimension: 'session_id' | 'agent';
  value: string;
  /** Attribution of the window's calls (the first call's), for the alert and the report. */
  agent: string | null;
  user: string | null;
  team: string | null;
  /** Spend of the key over the whole [since, until). */
  total: bigint;
}

/**
 * Sessions (or agents) that spent more than `maxUsd` within any `windowMinutes` in [since, until): an hourly
 * grouped query finds the candidates, and only their events are read for the exact sliding window.
 *
 * @example
 * await detectRunaways(store, { since, until, maxUsd: '20', windowMinutes: 10 }) // [{ value: 's-…', spend, … }]
 */
export async function detectRunaways(store: Store, o: DetectRunawaysOptions): Promise<Runaway[]> {
  checkEpochMs('since', o.since);
  checkEpochMs('until', o.until);
  const dimension = o.dimension ?? 'session_id';
  const max = parseUsd(o.maxUsd);
  const windowMs = o.windowMinutes * 60_000;
  const range = { since: o.since * 1000, until: o.until * 1000 };
  const res = await store.query({ dimensions: [dimension], filters: o.filters, bucket: 'hour', ...range });
  const byKey = new Map<string, Map<number, bigint>>();
  for (const r of res.rows) {
    const key = r.dims[dimension];
    if (key === null || key === undefined) continue;
    let m = byKey.get(key);
    if (m === undefined) {
      m = new Map();
      byKey.set(key, m);
    }
    m.set(Date.parse(r.bucket!), r.cost_usd);
  }
  const hours = Math.ceil(o.windowMinutes / 60) + 1;
  const candidates = [...byKey].filter(([, m]) => passesInHours(m, hours, max)).map(([k]) => k);
  if (candidates.length === 0) return [];
  const events = await store.events({
    filters: [...(o.filters ?? []), { dimension, values: candidates }],
    ...range,
  });
  const calls = new Map<string, { ts: number; cost: bigint; e: (typeof events)[number] }[]>();
  for (const e of events) {
    const key = e[dimension];
    if (key === null || e.cost_usd === null) continue;
    let list = calls.get(key);
    if (list === undefined) {
      list = [];
      calls.set(key, list);
    }
    list.push({ ts: Math.floor(e.ts / 1000), cost: e.cost_usd, e });
  }
  const out: Runaway[] = [];
  for (const [value, list] of calls) {
    list.sort((a, b) => a.ts - b.ts);
    const peak = peakWindow(list, windowMs);
    if (peak === null || peak.spend <= max) continue;
    const first = list.find((c) => c.ts === peak.first)!.e;
    const total = list.reduce((a, c) => a + c.cost, 0n);
    out.push({ dimension, value, ...peak, agent: first.agent, user: first.user, team: first.team, total });
  }
  return out.sort((a, b) => (a.spend > b.spend ? -1 : a.spend < b.spend ? 1 : 0));
}
