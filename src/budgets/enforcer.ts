import { type Attribution, totalTokens, type Usage, type UsageEvent } from '../ledger/event.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Store } from '../store/store.js';
import {
  type Admission,
  type Attempt,
  admissionClaims,
  admissionVerdict,
  andThen,
  BOUND_ROOM,
  type Held,
  NOTHING_CLAIMED,
  type Refusal,
  type Reservation,
} from './admission.js';
import type { AlertSink } from './alerts/alert.js';
import type { Budget } from './budget.js';
import { BudgetAlerts } from './budget-alerts.js';
import { BudgetExceededError } from './budget-exceeded.js';
import type { Claim, Counters } from './counters/counters.js';
import { keyBudget } from './key-budget.js';
import { type CallScope, matchingBudgets } from './match.js';
import { picoToNanoUp, usdToNanoDown } from './nano.js';
import { type BudgetWindow, budgetWindow, counterId } from './period.js';
import {
  type RateLimitRule,
  type RatePlan,
  rateClaims,
  rateLostClaims,
  rateSettleClaims,
} from './rate-limit.js';
import { counterEntries, rebuildCounters } from './rebuild.js';

export type { Reservation } from './admission.js';

import {
  bodyTokenBound,
  countInputTokens,
  inputTokenBound,
  pricedWorstCase,
  type WorstCase,
} from './worst-case.js';

export interface EnforcerOptions {
  /** The budgets in force, read on every call (cheap: the book keeps them in memory). */
  budgets: () => readonly Budget[];
  counters: Counters;
  pricer: Pricer;
  /** Epoch ms. */
  now?: () => number;
  alerts?: AlertSink | null;
  countTokens: (text: string) => Promise<number> | number;
  /**
   * Called (once) when a call admitted at the byte bound finds fewer than 2 × BOUND_ROOM such calls left under a
   * limit: load the tokenizer in the background now, so the exact counts near the limit need not wait for it.
   */
  warmTokenizer?: () => void;
  /** Requests- and tokens-per-minute rules (rate-limit.ts), checked in the same atomic reserve as the budgets. */
  rateLimits?: () => readonly RateLimitRule[];
  /**
   * The gateway's model aliases (`models.aliases`): a downgrade_to naming one is sent as the model it names, so it is
   * admitted for that model, as a direct call to the alias is.
   */
  aliases?: Readonly<Record<string, string>>;
}

/** A call as the enforcer sees it, after authentication and attribution. */
export interface AdmitCall {
  attribution: Attribution;
  /** Provider id used for pricing. */
  provider: string;
  /** Model the request asks for. */
  model: string;
  json: Record<string, unknown>;
  /** Prompt text (provider.inputText): only read when a block or downgrade budget applies. */
  inputText: () => string;
  /** Input tokens of the request's images, which the prompt text leaves out (provider.inputImageTokens). */
  imageTokens?: (() => number) | undefined;
  /** Input tokens sent as token ids, which have no prompt text either (provider.inputTokenIds). */
  tokenIds?: (() => number) | undefined;
  /**
   * Input tokens the request carries without holding them: an earlier response or conversation it goes on from
   * (gateway/carried-context.ts).
   */
  carriedTokens?: (() => number) | undefined;
  /**
   * The request body's byte length when it is valid UTF-8 (null when not): far from every limit it bounds the prompt's
   * bytes (bodyTokenBound) without building the prompt text.
   */
  bodyBytes?: number | null;
  mayWriteCache: boolean;
  /** Epoch µs. */
  ts: number;
  /** Where the upstream runs the call when that costs extra (Upstream.inference_geo), for its worst case. */
  inferenceGeo?: string | null;
  /**
   * The id the call's event is recorded under. With counters that can lose their keys (Redis), a rebuild from the
   * ledger while the call is in flight looks for it, so its settle neither counts it twice nor misses it.
   */
  eventId?: string | null;
  /** The virtual key's id and monthly `budget_usd`: an implicit block budget `key:<id>`. */
  key?: { id: string; budget_usd: string | null } | null;
}

const NO_RULES: readonly RateLimitRule[] = Object.freeze([]);

/** A reservation held in counters that can lose it (Counters.settle), until its settle or release has run. */
interface InFlight {
  eventId: string | null;
  /** Epoch µs the call arrived: its event's `ts`. */
  ts: number;
  /** Who made the call, and to which provider: a budget seeded while it is in flight matches it by these. */
  attribution: Attribution;
  provider: string;
  /** First keys of its budgets' windows that a rebuild from the ledger set while its event was in the ledger. */
  rebuiltWith: Set<string>;
}

/**
 * Budget enforcement around each gateway call: admit reserves the worst-case cost on every matching block or
 * downgrade budget, all or nothing (Counters.reserve), so concurrent calls can never take spend past a limit;
 * settle replaces the reservation with the real cost; release gives it back. Alert budgets reserve nothing and
 * count real spend at settle.
 */
export class Enforcer {
  private readonly now: () => number;
  private readonly windows = new WeakMap<Budget, { w: BudgetWindow; validUntil: number }>();
  private readonly limits = new WeakMap<Budget, bigint>();
  private readonly keyBudgets = new Map<string, Budget>();
  private readonly notify: BudgetAlerts;
  /** Only with counters that have `settle` (Redis); null otherwise. */
  private readonly inFlight: Map<Reservation, InFlight> | null;

  private warm: (() => void) | undefined;

  constructor(private readonly o: EnforcerOptions) {
    this.warm = o.warmTokenizer;
    this.now = o.now ?? Date.now;
    this.notify = new BudgetAlerts(o.alerts ?? null, o.counters);
    this.inFlight = o.counters.settle === undefined ? null : new Map();
  }

  admit(call: AdmitCall): Promise<Reservation> {
    try {
      return Promise.resolve(this.admitNow(call));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `admit`, without a promise when nothing has to wait (counters in this process, a tokenizer already loaded):
   * returns the reservation, or throws the refusal (BudgetExceededError, RateLimitedError), at once. The gateway
   * calls this; every await on the request path costs a trip through the microtask queue.
   */
  admitNow(call: AdmitCall): Reservation | Promise<Reservation> {
    const all = this.budgetsFor(call.key ?? null);
    const rules = this.rules();
    if (all.length === 0 && rules.length === 0)
      return {
        model: call.model,
        headers: {},
        held: [],
        rate: null,
        done: true,
        marker: null,
      };
    const first = this.tryReserve(all, rules, call, call.model, null);
    // No closure unless a promise needs one: this runs on every request.
    const r =
      first instanceof Promise
        ? first.then((a) => this.afterFirst(all, rules, call, a))
        : this.afterFirst(all, rules, call, first);
    const inFlight = this.inFlight;
    if (inFlight === null) return r;
    return andThen(r, (res) => {
      if (!res.done)
        inFlight.set(res, {
          eventId: call.eventId ?? null,
          ts: call.ts,
          attribution: call.attribution,
          provider: call.provider,
          rebuiltWith: new Set(),
        });
      return res;
    });
  }

  /** The first attempt's outcome: its reservation, or a downgrade's second attempt, or the refusal. */
  private afterFirst(
    all: readonly Budget[],
    rules: readonly RateLimitRule[],
    call: AdmitCall,
    first: Attempt,
  ): Reservation | Promise<Reservation> {
    if (first.ok) return first.reservation;
    const b = first.budget;
    if (b.action !== 'downgrade' || b.downgrade_to === null) throw this.blocked(first);
    const to = this.downgradeModel(b)!;
    if (to === call.model) throw this.blocked(first);
    return andThen(this.tryReserve(all, rules, call, to, to), (second) => {
      if (!second.ok) throw this.blocked(second);
      second.reservation.headers['x-tokenledger-downgraded'] = `${call.model} -> ${to}; budget=${b.id}`;
      return second.reservation;
    });
  }

  /** Replaces the reservation with the event's real cost (an unpriced event costs nothing). Idempotent. */
  settle(r: Reservation, event: Pick<UsageEvent, 'cost_usd'> & Usage): Promise<void> {
    try {
      return this.settleNow(r, event) ?? Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** `settle` for a caller that does not wait: done at once with in-process counters; a failure goes to `onError`. */
  settleInBackground(
    r: Reservation,
    event: Pick<UsageEvent, 'cost_usd'> & Usage,
    onError: (e: Error) => void,
  ): void {
    try {
      this.settleNow(r, event)?.catch(onError);
    } catch (e) {
      onError(e as Error);
    }
  }

  /** `settle`, done before it returns (undefined) when the counters are in this process and no alert must read. */
  settleNow(r: Reservation, event: Pick<UsageEvent, 'cost_usd'> & Usage): Promise<void> | undefined {
    if (r.done) return;
    r.done = true;
    const real = event.cost_usd === null ? 0n : picoToNanoUp(event.cost_usd);
    const claims: Omit<Claim, 'limit'>[] =
      r.rate === null ? [] : rateSettleClaims(r.rate, totalTokens(event));
    for (const h of r.held) {
      if (real === h.reserved) continue;
      claims.push({ keys: h.window.keys, amount: real - h.reserved, ttlSeconds: h.window.ttlSeconds });
      if (h.counted !== null) h.counted += real - h.reserved;
    }
    const c = this.o.counters;
    let added: Promise<void> | undefined;
    if (c.settle !== undefined) {
      const tokens = totalTokens(event);
      added = c
        .settle(r.marker, claims, () => this.lostClaims(r, real, tokens))
        .then((kept) => {
          // The totals the reserve returned were a counter that lost this call: threshold alerts read it instead.
          if (!kept) for (const h of r.held) h.counted = null;
        });
    } else if (claims.length > 0) {
      if (c.addSync !== undefined) c.addSync(claims);
      else added = c.add(claims);
    }
    if (real === 0n || !this.notify.wants(r.held)) return added;
    return added === undefined
      ? this.notify.afterSpend(r.held)
      : added.then(() => this.notify.afterSpend(r.held));
  }

  /** Gives a reservation back (the call failed or was aborted before it cost anything). Idempotent. */
  async release(r: Reservation): Promise<void> {
    if (r.done) return;
    r.done = true;
    // The request still counts against requests-per-minute: it was sent (or tried); its tokens are given back.
    const claims = r.rate === null ? [] : rateSettleClaims(r.rate, 0);
    for (const h of r.held)
      if (h.reserved !== 0n)
        claims.push({ keys: h.window.keys, amount: -h.reserved, ttlSeconds: h.window.ttlSeconds });
    // A reservation the counters lost holds nothing to give back: only the request counts.
    if (this.o.counters.settle !== undefined) {
      await this.o.counters.settle(r.marker, claims, () => this.lostClaims(r, 0n, 0));
    } else if (claims.length > 0) await this.o.counters.add(claims);
  }

  /**
   * What a settle (or release: `real` 0) adds where the counters lost its reservation (they restarted empty and were
   * rebuilt from the ledger), or where there was none (budgets that only count, a call let through unchecked): the
   * request and real cost, except on budgets where a rebuild read the call's event already. Called as the settle is
   * sent, so the call is no longer in flight for a rebuild: one that waited for the counters to come back (a settle
   * while they were down) stays in flight, and counted, until then.
   */
  private lostClaims(r: Reservation, real: bigint, tokens: number): Omit<Claim, 'limit'>[] {
    const rebuilt = this.inFlight?.get(r)?.rebuiltWith;
    this.inFlight?.delete(r);
    // Without a marker nothing was reserved: a call let through unchecked counted no request either (requests are not
    // counted during an outage), only its tokens.
    const claims =
      r.rate === null
        ? []
        : r.marker === null
          ? rateSettleClaims(r.rate, tokens)
          : rateLostClaims(r.rate, tokens);
    if (real !== 0n)
      for (const h of r.held)
        if (rebuilt?.has(h.window.keys[0]!) !== true)
          claims.push({ keys: h.window.keys, amount: real, ttlSeconds: h.window.ttlSeconds });
    return claims;
  }

  /**
   * Seeds these budgets' counters from the ledger (keys that exist are left alone): budgets new to the server, and
   * those whose scope, period or time zone changed, which count in new keys (period.ts counterId). A call in flight
   * was admitted under the old budgets, so its settle would count it on those only: where the seed did not read its
   * event (it ends later), each new budget it matches is added to what the call holds, reserving nothing, so its
   * settle counts its real cost there too, once.
   */
  async seed(store: Store, budgets: readonly Budget[]): Promise<number> {
    const known = new Set(this.o.budgets().map(counterId));
    const fresh = budgets.filter((b) => !known.has(counterId(b)));
    const now = this.now();
    const inFlight = this.inFlight;
    if (inFlight === null || fresh.length === 0)
      return rebuildCounters(store, this.o.counters, this.o.pricer, fresh, now);
    const { entries, calls, after } = await this.readLedger(store, fresh, now, inFlight);
    // Before the seed is sent, so a call that ends while it is on its way settles on the new counters too (behind the
    // seed, on the same connection).
    for (const [r, f] of calls) if (!after.has(r)) this.countAlsoOn(fresh, r, f, now);
    if (entries.length > 0) await this.o.counters.seed(entries);
    // A call admitted meanwhile matched the old budgets only; its event, recorded after the read, was not read.
    const taken = new Set(calls.map(([r]) => r));
    for (const [r, f] of inFlight) if (!taken.has(r)) this.countAlsoOn(fresh, r, f, now);
    return entries.length;
  }

  /** Adds the budgets among `fresh` that a call in flight matches to what it holds, reserving nothing there. */
  private countAlsoOn(fresh: readonly Budget[], r: Reservation, f: InFlight, now: number): void {
    if (r.done) return;
    for (const b of matchingBudgets(fresh, this.scope(f.attribution, f.provider, r.model))) {
      const window = this.window(b, now);
      if (r.held.some((h) => h.window.keys[0] === window.keys[0])) continue;
      r.held.push({ budget: b, window, reserved: 0n, limit: this.limit(b), counted: null });
    }
  }

  /** Seeds every budget's counters from the ledger, so a restart forgets nothing (keys other instances hold win). */
  async rebuild(
    store: Store,
    keys: readonly { id: string; budget_usd: string | null }[] = [],
    counters: Counters = this.o.counters,
  ): Promise<number> {
    const budgets = [...this.o.budgets(), ...keys.flatMap((k) => this.budgetsFor(k).slice(-1))];
    const unique = [...new Map(budgets.map((b) => [b.id, b])).values()];
    const now = this.now();
    const inFlight = this.inFlight;
    if (inFlight === null) return rebuildCounters(store, counters, this.o.pricer, unique, now);
    // The counters may have lost the reservations of calls in flight, and a call may be recorded while the ledger is
    // read: its settle must know whether the seed counted its event (then it adds nothing there) or not (it adds the
    // real cost). The store only grows, so an event found before the reads was read and one not found after them was
    // not; they are read again until no call in flight was recorded in between. Calls admitted during the reads count
    // too (an alert budget's admission waits for no rebuild, nor does a fail-open one's during an outage): found after
    // the reads, their events may or may not have been read, so the calls in flight are taken again after each read.
    const { entries, calls, after } = await this.readLedger(store, unique, now, inFlight);
    const set = new Set(entries.length === 0 ? [] : await counters.seed(entries));
    for (const [r, f] of calls)
      for (const h of r.held) {
        const key = h.window.keys[0]!;
        if (!set.has(key)) continue;
        if (after.has(r)) f.rebuiltWith.add(key);
        else f.rebuiltWith.delete(key);
      }
    return entries.length;
  }

  /**
   * Reads the budgets' counter entries from the ledger, and which calls in flight it read the events of (`after`,
   * among `calls`, those in flight after the read). The store only grows, so an event found before the read was read
   * and one not found after it was not; the ledger is read again until no call in flight was recorded in between.
   */
  private async readLedger(
    store: Store,
    budgets: readonly Budget[],
    now: number,
    inFlight: Map<Reservation, InFlight>,
  ): Promise<{
    entries: Awaited<ReturnType<typeof counterEntries>>;
    calls: [Reservation, InFlight][];
    after: Set<Reservation>;
  }> {
    let calls = [...inFlight];
    let before = await recorded(store, calls);
    for (let reads = 1; ; reads++) {
      const entries = await counterEntries(store, this.o.pricer, budgets, now);
      calls = [...inFlight];
      const after = await recorded(store, calls);
      // Past MAX_LEDGER_READS (calls keep ending during every read) a call recorded during the last read is not taken
      // as read: its settle counts it again, an error on the side of the limit, rather than the rebuild never ending.
      if (reads === MAX_LEDGER_READS) for (const r of after) if (!before.has(r)) after.delete(r);
      if ([...after].every((r) => before.has(r))) return { entries, calls, after };
      before = after;
    }
  }

  /** What budgets match a call by: who made it, the provider, the model it is sent as and its canonical id. */
  private scope(attribution: Attribution, provider: string, model: string): CallScope {
    const canonicalModel = this.o.pricer.resolve(model, provider)?.model ?? null;
    return { attribution, provider, model, canonicalModel };
  }

  /**
   * Reserves the call's worst case on every limiting budget and its rate claims, all or nothing. With counters in
   * this process it first tries a bound on the input tokens (UTF-8 bytes, see inputTokenBound) instead of the
   * tokenizer, on the condition that the budget and tokens-per-minute limits would still hold BOUND_ROOM more
   * reservations like it: far from its limits a call is admitted without tokenizing; near them, where an inflated
   * reservation held in flight could refuse a call that fits, the input is counted and the reservation is exact.
   */
  private tryReserve(
    all: readonly Budget[],
    rules: readonly RateLimitRule[],
    call: AdmitCall,
    model: string,
    downgradedTo: string | null,
  ): Attempt | Promise<Attempt> {
    const resolution = this.o.pricer.resolve(model, call.provider);
    const scope: CallScope = {
      attribution: call.attribution,
      provider: call.provider,
      model,
      canonicalModel: resolution?.model ?? null,
    };
    const matched = matchingBudgets(all, scope);
    const now = this.now();
    let rate = rules.length === 0 ? null : rateClaims(rules, scope, 0, now);
    if (rate !== null && rate.claims.length === 0) rate = null;
    const held: Held[] = [];
    const claimed: Held[] = [];
    for (const b of matched) {
      const h: Held = {
        budget: b,
        window: this.window(b, now),
        reserved: 0n,
        limit: this.limit(b),
        counted: null,
      };
      held.push(h);
      // A downgrade budget already at its limit lets the cheaper model through: it only counts that spend.
      if (b.action === 'block' || (b.action === 'downgrade' && this.downgradeModel(b) !== downgradedTo))
        claimed.push(h);
    }
    const a: Admission = { model, held, claimed, rate };
    if (claimed.length === 0 && !countsTokens(rate)) return this.reserve(a, null);
    const shape = {
      json: call.json,
      provider: call.provider,
      model,
      ts: call.ts,
      mayWriteCache: call.mayWriteCache,
      geo: call.inferenceGeo ?? null,
    };
    let text: string | null = null;
    // Billed by their size, not their bytes, token ids one token each, and a context carried over not in the body at
    // all: counted apart from the text, in the bound as in the exact count.
    const apart = (call.imageTokens?.() ?? 0) + (call.tokenIds?.() ?? 0) + (call.carriedTokens?.() ?? 0);
    const sync = this.o.counters.reserveSync;
    if (sync !== undefined) {
      let bytes = bodyTokenBound(call.json, call.bodyBytes);
      if (bytes === null) {
        text = call.inputText();
        bytes = inputTokenBound(call.json, text);
      }
      const bound = pricedWorstCase(shape, bytes + apart, this.o.pricer, resolution);
      const claims = admissionClaims(a, bound, BOUND_ROOM);
      const r = claims.length === 0 ? NOTHING_CLAIMED : sync.call(this.o.counters, claims);
      const fast = admissionVerdict(a, bound, r, true);
      if (fast !== null) {
        if (this.warm !== undefined && r.ok && nearLimit(claims, r.totals)) {
          this.warm();
          this.warm = undefined;
        }
        return fast;
      }
    }
    return andThen(countInputTokens(call.json, text ?? call.inputText(), this.o.countTokens), (tokens) =>
      this.reserve(a, pricedWorstCase(shape, tokens + apart, this.o.pricer, resolution)),
    );
  }

  /** Reserves at the worst case `w` (null: nothing to reserve but rate-limit requests). */
  private reserve(a: Admission, w: WorstCase | null): Attempt | Promise<Attempt> {
    const claims = admissionClaims(a, w, 1n);
    if (claims.length === 0) return admissionVerdict(a, w, NOTHING_CLAIMED, false)!;
    const c = this.o.counters;
    if (c.reserveSync !== undefined) return admissionVerdict(a, w, c.reserveSync(claims), false)!;
    return c.reserve(claims).then((r) => admissionVerdict(a, w, r, false)!);
  }

  /**
   * The model a downgrade budget sends calls to, as it is sent: an alias would match no budget of the model it names,
   * reserve nothing there and settle nowhere.
   */
  private downgradeModel(b: Budget): string | null {
    const to = b.downgrade_to;
    return to === null ? null : (this.o.aliases?.[to] ?? to);
  }

  private rules(): readonly RateLimitRule[] {
    return this.o.rateLimits?.() ?? NO_RULES;
  }

  private blocked(f: Refusal): BudgetExceededError {
    this.notify.blocked(f.budget, f.window, f.current, f.limit);
    return new BudgetExceededError(f.budget, f.current, f.limit, f.window.resetsAt, this.now());
  }

  private budgetsFor(key: { id: string; budget_usd: string | null } | null): readonly Budget[] {
    const list = this.o.budgets();
    if (key === null || key.budget_usd === null) return list;
    let kb = this.keyBudgets.get(key.id);
    if (kb === undefined || kb.limit_usd !== key.budget_usd) {
      kb = keyBudget(key.id, key.budget_usd);
      this.keyBudgets.set(key.id, kb);
    }
    return list.length === 0 ? [kb] : [...list, kb];
  }

  private window(b: Budget, now: number): BudgetWindow {
    const c = this.windows.get(b);
    if (c !== undefined && now < c.validUntil) return c.w;
    const w = budgetWindow(b, now);
    // A calendar window holds until it ends; a rolling one until the next hourly bucket starts (also its `end`).
    // The cached ttlSeconds then overstates a key's life by at most that span, which only keeps it a little longer.
    this.windows.set(b, { w, validUntil: w.end });
    return w;
  }

  private limit(b: Budget): bigint {
    let l = this.limits.get(b);
    if (l === undefined) {
      l = usdToNanoDown(b.limit_usd);
      this.limits.set(b, l);
    }
    return l;
  }
}

/** Times a rebuild with calls in flight reads the ledger at most (Enforcer.rebuild). */
const MAX_LEDGER_READS = 4;

/** The calls in flight whose events the store holds (found by id at their arrival µs), in one read. */
async function recorded(
  store: Store,
  inFlight: readonly (readonly [Reservation, InFlight])[],
): Promise<Set<Reservation>> {
  const found = new Set<Reservation>();
  const ask: { event_id: string; ts: number }[] = [];
  for (const [, f] of inFlight) if (f.eventId !== null) ask.push({ event_id: f.eventId, ts: f.ts });
  if (ask.length === 0) return found;
  const held = await store.held(ask);
  for (const [r, f] of inFlight) if (f.eventId !== null && held.has(f.eventId)) found.add(r);
  return found;
}

function countsTokens(rate: RatePlan | null): boolean {
  if (rate !== null) for (const p of rate.parts) if (p.unit === 'tokens') return true;
  return false;
}

/**
 * After a reserve of claims made with room BOUND_ROOM (limit − (R−1)·amount): does any limit have room for fewer than
 * 2·R more such calls? (total + R·amount > limit − (R−1)·amount ⇔ total + (2R−1)·amount > the real limit.)
 */
function nearLimit(claims: readonly Claim[], totals: readonly bigint[] | undefined): boolean {
  if (totals === undefined) return true;
  for (let i = 0; i < claims.length; i++) {
    const c = claims[i]!;
    if (c.limit !== null && c.amount > 0n && totals[i]! + BOUND_ROOM * c.amount > c.limit) return true;
  }
  return false;
}
