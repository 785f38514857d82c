import type { Budget } from './budget.js';
import type { Claim, ReserveResult } from './counters/counters.js';
import type { BudgetWindow } from './period.js';
import { type RatePlan, rateVerdict } from './rate-limit.js';
import type { WorstCase } from './worst-case.js';

/** A budget a call counts against, and what admission put on it. */
export interface Held {
  budget: Budget;
  window: BudgetWindow;
  /** Nano-dollars added at admission (0 for budgets that only count). */
  reserved: bigint;
  limit: bigint;
  /**
   * The budget's counter after this call: the total reserve returned, moved by the settle correction. Threshold
   * alerts use it instead of reading the counters again (a second Redis round trip per call); null when unknown
   * (a budget that only counts, or counters that returned no totals), and then alerts read.
   */
  counted: bigint | null;
}

/** What admission took: settle it with the recorded event, or release it if the call never happened. */
export interface Reservation {
  /** The model to send the call to: the requested one, or a downgrade budget's `downgrade_to`. */
  model: string;
  /** Response headers to add (`x-tokenledger-downgraded`, `x-ratelimit-*`). */
  headers: Record<string, string>;
  held: Held[];
  /** The rate-limit claims made, corrected to the real token count at settle. */
  rate: RatePlan | null;
  done: boolean;
  /**
   * What the counters call this reservation (Redis: ReserveResult.marker), for a settle that finds it lost; null when
   * nothing was reserved (budgets that only count, or a call let through unchecked) or the counters have no markers.
   */
  marker: string | null;
}

/** A limiting budget without room for the call. */
export interface Refusal {
  ok: false;
  budget: Budget;
  window: BudgetWindow;
  /** Nano-dollars counted before this call. */
  current: bigint;
  limit: bigint;
}

export type Attempt = { ok: true; reservation: Reservation } | Refusal;

/** One try at admission for one model: the budgets that match, those that limit the call, its rate-limit plan. */
export interface Admission {
  model: string;
  held: Held[];
  claimed: Held[];
  rate: RatePlan | null;
}

/**
 * Reservations at the input-token bound a limit must still hold, this one included, for a call to skip the tokenizer.
 * Far from every limit the bound's excess (bytes instead of tokens) costs nothing; within 100 calls of one, a call is
 * counted exactly, so reservations held in flight there are not inflated and cannot crowd out calls that fit (the
 * 500-concurrent-requests test keeps ≥ 95% of the budget used).
 */
export const BOUND_ROOM = 100n;

/** A reserve with nothing to claim. */
export const NOTHING_CLAIMED: ReserveResult = Object.freeze({ ok: true });

/**
 * `f(v)`, in the same tick when `v` is not a promise: an await costs a trip through the microtask queue. (Not named
 * `then`: a module exporting `then` makes its namespace a thenable, and `await import()` of it would call it.)
 */
export function andThen<T, U>(v: T | Promise<T>, f: (t: T) => U | Promise<U>): U | Promise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/**
 * The claims of an admission at worst case `w` (null: nothing to reserve but rate-limit requests): its limiting
 * budgets first, then its rate claims. `room` > 1 asks every budget and tokens-per-minute limit to hold `room` such
 * calls, this one included (requests per minute are exact either way).
 */
export function admissionClaims(a: Admission, w: WorstCase | null, room: bigint): Claim[] {
  const amount = w?.nano ?? 0n;
  const claims: Claim[] = [];
  for (const h of a.claimed)
    claims.push({
      keys: h.window.keys,
      amount,
      limit: h.limit - (room - 1n) * amount,
      ttlSeconds: h.window.ttlSeconds,
    });
  const rate = a.rate;
  if (rate === null) return claims;
  if (w !== null) withTokens(rate, w.inputTokens + w.outputTokens);
  for (let i = 0; i < rate.claims.length; i++) {
    const c = rate.claims[i]!;
    claims.push(
      room === 1n || rate.parts[i]!.unit === 'requests'
        ? c
        : { ...c, limit: c.limit! - (room - 1n) * c.amount },
    );
  }
  return claims;
}

/**
 * The reserve's answer (to admissionClaims(a, w, …)) as an Attempt. Throws RateLimitedError when a rate limit has no
 * room. `bounded`: the claims asked for room beyond the call, so a refusal only means "count exactly": null.
 */
export function admissionVerdict(
  a: Admission,
  w: WorstCase | null,
  r: ReserveResult,
  bounded: boolean,
): Attempt | null {
  const offset = a.claimed.length;
  if (!r.ok) {
    if (bounded) return null;
    if (r.index < offset) {
      const h = a.claimed[r.index]!;
      return { ok: false, budget: h.budget, window: h.window, current: r.current, limit: h.limit };
    }
  }
  // Let through unchecked (fail-open, counters down): nothing was reserved, so a settle adds the whole cost.
  const unchecked = r.ok && r.unchecked === true;
  const amount = unchecked ? 0n : (w?.nano ?? 0n);
  if (unchecked && a.rate !== null) a.rate.estimatedTokens = 0;
  for (let i = 0; i < offset; i++) {
    const h = a.claimed[i]!;
    h.reserved = amount;
    h.counted = r.ok ? (r.totals?.[i] ?? null) : null;
  }
  let headers: Record<string, string> = {};
  if (a.rate !== null) {
    const v = rateVerdict(a.rate, r, offset)!;
    if (!v.ok) throw v.error;
    headers = v.headers;
  }
  const done = a.held.length === 0 && a.rate === null;
  const marker = r.ok ? (r.marker ?? null) : null;
  return {
    ok: true,
    reservation: { model: a.model, headers, held: a.held, rate: a.rate, done, marker },
  };
}

/**
 * Sets a plan made with 0 tokens to `tokens`, as rateClaims(rules, scope, tokens, now) would have made it: only the
 * tokens claims' amounts differ, so the plan is built (keys, encodings) once per call instead of twice.
 */
function withTokens(plan: RatePlan, tokens: number): void {
  const n = Math.max(0, Math.ceil(tokens));
  if (n === plan.estimatedTokens) return;
  const amount = BigInt(n);
  plan.estimatedTokens = n;
  // In place: rateClaims made these claim objects for this call alone.
  for (let i = 0; i < plan.parts.length; i++)
    if (plan.parts[i]!.unit === 'tokens') plan.claims[i]!.amount = amount;
}
