import { formatUsdOf } from '../money/money.js';
import type { AlertSink } from './alerts/alert.js';
import { type Budget, formatPeriod } from './budget.js';
import { scopeText } from './budget-exceeded.js';
import type { Counters } from './counters/counters.js';
import { CountersUnavailableError } from './counters/guarded.js';
import { nanoToUsd } from './nano.js';
import { type BudgetWindow, HOUR_MS } from './period.js';

interface Spent {
  budget: Budget;
  window: BudgetWindow;
  limit: bigint;
  /** The budget's counted spend after this call when the caller knows it (reserve returned it); null: read it. */
  counted?: bigint | null;
}

/**
 * Raises `budget_threshold` alerts when a budget's counted spend crosses one of its thresholds and `budget_blocked`
 * on the first refusal in a window. The dedup key names the budget, the window (dedupStart) and the threshold, so the sink
 * (and every other instance) raises each once per window; the local set only spares the counters a read once every
 * threshold of a window has fired. The counted value includes calls still in flight, so a threshold can fire a
 * moment before settled spend reaches it. A counted value the caller already holds (the total its reservation
 * returned, corrected by its settle) is used as is, so a budgeted call costs no extra read of the counters.
 */
export class BudgetAlerts {
  private readonly raised = new Set<string>();
  /** `budget:<id>:<dedupStart ISO>:` per window (the enforcer keeps one window object per budget until it ends). */
  private readonly prefixes = new WeakMap<BudgetWindow, string>();
  /** Windows whose every threshold has been raised: nothing more to check or read for them. */
  private readonly finished = new WeakSet<BudgetWindow>();

  constructor(
    private readonly sink: AlertSink | null,
    private readonly counters: Counters,
  ) {}

  /** Whether afterSpend may have anything to do for these budgets (cheap; no promise when not). */
  wants(held: readonly Spent[]): boolean {
    if (this.sink === null) return false;
    for (const h of held)
      if (h.limit > 0n && !this.finished.has(h.window) && !this.belowThresholds(h)) return true;
    return false;
  }

  /** `limit × lowest threshold` per window (the enforcer keeps one window object per budget until it ends). */
  private readonly floors = new WeakMap<BudgetWindow, bigint | null>();

  /**
   * Known spend below the budget's lowest threshold: nothing can fire, so a settle costs no promise and no bigint
   * work per threshold. Unknown spend (null) must be read.
   */
  private belowThresholds(h: Spent): boolean {
    const spend = h.counted ?? null;
    if (spend === null) return false;
    let floor = this.floors.get(h.window);
    if (floor === undefined) {
      const t = h.budget.thresholds;
      floor = t.length === 0 ? null : h.limit * BigInt(Math.min(...t));
      this.floors.set(h.window, floor);
    }
    return floor === null || spend * 100n < floor;
  }

  async afterSpend(held: readonly Spent[]): Promise<void> {
    if (this.sink === null) return;
    // Budgets whose spend is known need no read; for the others, read only those with a threshold still to raise.
    const unknown = held.filter((h) => (h.counted ?? null) === null && this.open(h));
    let read: (bigint | null)[] = [];
    try {
      if (unknown.length > 0) read = await this.counters.read(unknown.map((h) => h.window.keys));
    } catch (e) {
      // The counters are down: guarded.ts logs and alerts the outage once, and the spend they did not count is added
      // when they are back, so the next settle after that raises what this one could not see.
      if (!(e instanceof CountersUnavailableError)) throw e;
      read = unknown.map(() => null);
    }
    for (const h of held) {
      if (h.limit <= 0n || this.finished.has(h.window)) continue;
      const i = unknown.indexOf(h);
      const spend = i >= 0 ? read[i]! : (h.counted ?? null);
      if (spend === null) continue;
      for (const t of h.budget.thresholds) {
        // The cheap comparison first: the dedup key is only built for a threshold actually crossed.
        if (spend * 100n < h.limit * BigInt(t)) continue;
        const key = this.dedup(h, t);
        if (this.raised.has(key)) continue;
        this.raised.add(key);
        this.sink.raise({
          kind: 'budget_threshold',
          severity: t >= 100 ? 'critical' : 'warning',
          dedup_key: key,
          title: `Budget ${h.budget.id} (${scopeText(h.budget.scope)} ${formatPeriod(h.budget.period)}) reached ${t}% (${formatUsdOf(nanoToUsd(spend), h.budget.limit_usd)})`,
          scope: h.budget.scope,
          budget_id: h.budget.id,
          data: facts(h, spend, t),
        });
      }
      // Past the last threshold, every key of this window is raised now (by this loop or before it).
      if (spend * 100n >= h.limit * BigInt(top(h.budget))) this.finished.add(h.window);
    }
  }

  /** A threshold of this window is still to raise (checked against the dedup keys raised so far). */
  private open(h: Spent): boolean {
    if (h.limit <= 0n || this.finished.has(h.window)) return false;
    if (!this.raised.has(this.dedup(h, top(h.budget)))) return true;
    this.finished.add(h.window);
    return false;
  }

  private dedup(h: Spent, threshold: number): string {
    return this.prefix(h.budget, h.window) + threshold;
  }

  private prefix(b: Budget, w: BudgetWindow): string {
    let p = this.prefixes.get(w);
    if (p === undefined) {
      p = `budget:${b.id}:${new Date(dedupStart(b, w)).toISOString()}:`;
      this.prefixes.set(w, p);
    }
    return p;
  }

  blocked(budget: Budget, window: BudgetWindow, spend: bigint, limit: bigint): void {
    const key = `${this.prefix(budget, window)}blocked`;
    if (this.sink === null || this.raised.has(key)) return;
    this.raised.add(key);
    this.sink.raise({
      kind: 'budget_blocked',
      severity: 'critical',
      dedup_key: key,
      title: `Budget ${budget.id} (${scopeText(budget.scope)} ${formatPeriod(budget.period)}) is blocking calls (${formatUsdOf(nanoToUsd(spend), budget.limit_usd)})`,
      scope: budget.scope,
      budget_id: budget.id,
      data: facts({ budget, window, limit }, spend, null),
    });
  }
}

/**
 * The start a dedup key names: a calendar window's own. A rolling window starts anew every hour, and its spend stays
 * over a threshold for hours, so its start would raise the same alert hourly: it names instead the stretch of the
 * window's length (counted in UTC from the Unix epoch) its newest hour is in, so an alert fires at most once per that
 * length, as a calendar budget's does once per period.
 */
function dedupStart(b: Budget, w: BudgetWindow): number {
  if (b.period.kind !== 'rolling') return w.start;
  const length = b.period.days * 24 * HOUR_MS;
  return Math.floor((w.end - HOUR_MS) / length) * length;
}

/** The highest threshold: the last to fire in a window. */
function top(b: Budget): number {
  return Math.max(...b.thresholds);
}

function facts(h: Spent, spend: bigint, threshold: number | null): Record<string, string | number | null> {
  return {
    period: formatPeriod(h.budget.period),
    action: h.budget.action,
    spend_usd: nanoToUsd(spend),
    limit_usd: h.budget.limit_usd,
    threshold,
    window_start: new Date(h.window.start).toISOString(),
    resets_at: new Date(h.window.resetsAt).toISOString(),
  };
}
