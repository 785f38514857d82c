import { type Attribution, totalTokens, type Usage, type UsageEvent } from '../ledger/event.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Store } from '../store/store.js';
import type { AlertSink } from './alerts/alert.js';
import type { Budget } from './budget.js';
import { BudgetAlerts } from './budget-alerts.js';
import { BudgetExceededError } from './budget-exceeded.js';
import type { Claim, Counters } from './counters/counters.js';
import { type CallScope, matchingBudgets } from './match.js';
import { picoToNanoUp, usdToNanoDown } from './nano.js';
import { type BudgetWindow, budgetWindow } from './period.js';
import {
  type RateLimitRule,
  type RatePlan,
  rateClaims,
  rateSettleClaims,
  rateVerdict,
} from './rate-limit.js';
import { rebuildCounters } from './rebuild.js';
import { worstCase } from './worst-case.js';

export interface EnforcerOptions {
  /** The budgets in force, read on every call (cheap: the book keeps them in memory). */
  budgets: () => readonly Budget[];
  counters: Counters;
  pricer: Pricer;
  /** Epoch ms. */
  now?: () => number;
  alerts?: AlertSink | null;
  countTokens: (text: string) => Promise<number> | number;
  fallbackOutputTokens?: number;
  /** Requests- and tokens-per-minute rules (rate-limit.ts), checked in the same atomic reserve as the budgets. */
  rateLimits?: () => readonly RateLimitRule[];
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
  mayWriteCache: boolean;
  /** Epoch µs. */
  ts: number;
  /** The virtual key's id and monthly `budget_usd`: an implicit block budget `key:<id>`. */
  key?: { id: string; budget_usd: string | null } | null;
}

interface Held {
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
}

interface Refusal {
  ok: false;
  budget: Budget;
  window: BudgetWindow;
  /** Nano-dollars counted before this call. */
  current: bigint;
  limit: bigint;
}

const NO_RULES: readonly RateLimitRule[] = Object.freeze([]);

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

  constructor(private readonly o: EnforcerOptions) {
    this.now = o.now ?? Date.now;
    this.notify = new BudgetAlerts(o.alerts ?? null, o.counters);
  }

  async admit(call: AdmitCall): Promise<Reservation> {
    const all = this.budgetsFor(call.key ?? null);
    if (all.length === 0 && this.rules().length === 0)
      return { model: call.model, headers: {}, held: [], rate: null, done: true };
    const first = await this.tryReserve(all, call, call.model, null);
    if (first.ok) return first.reservation;
    const b = first.budget;
    if (b.action === 'downgrade' && b.downgrade_to !== null && b.downgrade_to !== call.model) {
      const to = b.downgrade_to;
      const second = await this.tryReserve(all, call, to, to);
      if (second.ok) {
        second.reservation.headers['x-tokenledger-downgraded'] = `${call.model} -> ${to}; budget=${b.id}`;
        return second.reservation;
      }
      throw this.blocked(second);
    }
    throw this.blocked(first);
  }

  /** Replaces the reservation with the event's real cost (an unpriced event costs nothing). Idempotent. */
  async settle(r: Reservation, event: Pick<UsageEvent, 'cost_usd'> & Usage): Promise<void> {
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
    if (claims.length > 0) await this.o.counters.add(claims);
    if (real > 0n && this.notify.wants(r.held)) await this.notify.afterSpend(r.held);
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
    if (claims.length > 0) await this.o.counters.add(claims);
  }

  /** Seeds these budgets' counters from the ledger (keys that exist are left alone): budgets new to the server. */
  seed(store: Store, budgets: readonly Budget[]): Promise<number> {
    const known = new Set(this.o.budgets().map((b) => b.id));
    const fresh = budgets.filter((b) => !known.has(b.id));
    return rebuildCounters(store, this.o.counters, this.o.pricer, fresh, this.now());
  }

  /** Seeds every budget's counters from the ledger, so a restart forgets nothing (keys other instances hold win). */
  async rebuild(
    store: Store,
    keys: readonly { id: string; budget_usd: string | null }[] = [],
    counters: Counters = this.o.counters,
  ): Promise<number> {
    const budgets = [...this.o.budgets(), ...keys.flatMap((k) => this.budgetsFor(k).slice(-1))];
    const unique = [...new Map(budgets.map((b) => [b.id, b])).values()];
    return rebuildCounters(store, counters, this.o.pricer, unique, this.now());
  }

  private async tryReserve(
    all: readonly Budget[],
    call: AdmitCall,
    model: string,
    downgradedTo: string | null,
  ): Promise<{ ok: true; reservation: Reservation } | Refusal> {
    const scope: CallScope = {
      attribution: call.attribution,
      provider: call.provider,
      model,
      canonicalModel: this.o.pricer.resolve(model, call.provider)?.model ?? null,
    };
    const matched = matchingBudgets(all, scope);
    const now = this.now();
    const rules = this.rules();
    // A downgrade budget already at its limit lets the cheaper model through: it only counts that spend.
    const limits = (b: Budget) =>
      b.action === 'block' || (b.action === 'downgrade' && b.downgrade_to !== downgradedTo);
    let rate = rules.length === 0 ? null : rateClaims(rules, scope, 0, now);
    if (rate !== null && rate.claims.length === 0) rate = null;
    const tokenParts = rate === null ? false : rate.parts.some((p) => p.unit === 'tokens');
    let amount = 0n;
    if (tokenParts || matched.some(limits)) {
      const w = await worstCase(
        {
          json: call.json,
          inputText: call.inputText(),
          provider: call.provider,
          model,
          ts: call.ts,
          mayWriteCache: call.mayWriteCache,
          countTokens: this.o.countTokens,
          fallbackOutputTokens: this.o.fallbackOutputTokens,
        },
        this.o.pricer,
      );
      amount = w.nano;
      if (rate !== null) withTokens(rate, w.inputTokens + w.outputTokens);
    }
    const held: Held[] = [];
    const claims: Claim[] = [];
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
      if (!limits(b)) continue;
      h.reserved = amount;
      claims.push({ keys: h.window.keys, amount, limit: h.limit, ttlSeconds: h.window.ttlSeconds });
      claimed.push(h);
    }
    let headers: Record<string, string> = {};
    const offset = claims.length;
    if (rate !== null) claims.push(...rate.claims);
    if (claims.length > 0) {
      const r = await this.o.counters.reserve(claims);
      if (!r.ok && r.index < offset) {
        const h = claimed[r.index]!;
        return { ok: false, budget: h.budget, window: h.window, current: r.current, limit: h.limit };
      }
      if (r.ok && r.totals !== undefined)
        for (let i = 0; i < offset; i++) claimed[i]!.counted = r.totals[i] ?? null;
      if (rate !== null) {
        const v = rateVerdict(rate, r, offset)!;
        if (!v.ok) throw v.error;
        headers = v.headers;
      }
    }
    const done = held.length === 0 && rate === null;
    return { ok: true, reservation: { model, headers, held, rate, done } };
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

/**
 * Sets a plan made with 0 tokens to `tokens`, as rateClaims(rules, scope, tokens, now) would have made it: only the
 * tokens claims' amounts differ, so the plan is built (keys, encodings) once per call instead of twice.
 */
function withTokens(plan: RatePlan, tokens: number): void {
  const n = Math.max(0, Math.ceil(tokens));
  const amount = BigInt(n);
  plan.estimatedTokens = n;
  for (let i = 0; i < plan.parts.length; i++)
    if (plan.parts[i]!.unit === 'tokens') plan.claims[i] = { ...plan.claims[i]!, amount };
}

/** A virtual key's `budget_usd`: a monthly block budget on its api_key_id, in UTC. */
export function keyBudget(id: string, budgetUsd: string): Budget {
  return {
    id: `key:${id}`,
    name: `virtual key ${id}`,
    scope: { api_key_id: id },
    period: { kind: 'monthly' },
    tz: 'UTC',
    limit_usd: budgetUsd,
    thresholds: [50, 80, 100],
    action: 'block',
    downgrade_to: null,
    origin: 'config',
    created_at: '1970-01-01T00:00:00.000Z',
  };
}
