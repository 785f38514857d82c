import type { AlertSink } from './alerts/alert.js';
import { type Budget, formatPeriod } from './budget.js';
import { scopeText } from './budget-exceeded.js';
import type { Counters } from './counters/counters.js';
import { nanoToUsd } from './nano.js';
import type { BudgetWindow } from './period.js';

interface Spent {
  budget: Budget;
  window: BudgetWindow;
  limit: bigint;
}

/**
 * Raises `budget_threshold` alerts when a budget's counted spend crosses one of its thresholds and `budget_blocked`
 * on the first refusal in a window. The dedup key names the budget, the window start and the threshold, so the sink
 * (and every other instance) raises each once per window; the local set only spares the counters a read once every
 * threshold of a window has fired. The counted value includes calls still in flight, so a threshold can fire a
 * moment before settled spend reaches it.
 */
export class BudgetAlerts {
  private readonly raised = new Set<string>();

  constructor(
    private readonly sink: AlertSink | null,
    private readonly counters: Counters,
  ) {}

  async afterSpend(held: readonly Spent[]): Promise<void> {
    if (this.sink === null) return;
    const open = held.filter((h) => h.limit > 0n && !this.raised.has(dedup(h, h.budget.thresholds.at(-1)!)));
    if (open.length === 0) return;
    const values = await this.counters.read(open.map((h) => h.window.keys));
    open.forEach((h, i) => {
      const spend = values[i]!;
      for (const t of h.budget.thresholds) {
        const key = dedup(h, t);
        if (spend * 100n < h.limit * BigInt(t) || this.raised.has(key)) continue;
        this.raised.add(key);
        this.sink!.raise({
          kind: 'budget_threshold',
          severity: t >= 100 ? 'critical' : 'warning',
          dedup_key: key,
          title: `Budget ${h.budget.id} (${scopeText(h.budget.scope)} ${formatPeriod(h.budget.period)}) reached ${t}% ($${nanoToUsd(spend)} of $${h.budget.limit_usd})`,
          scope: h.budget.scope,
          budget_id: h.budget.id,
          data: facts(h, spend, t),
        });
      }
    });
  }

  blocked(budget: Budget, window: BudgetWindow, spend: bigint, limit: bigint): void {
    const key = `budget:${budget.id}:${new Date(window.start).toISOString()}:blocked`;
    if (this.sink === null || this.raised.has(key)) return;
    this.raised.add(key);
    this.sink.raise({
      kind: 'budget_blocked',
      severity: 'critical',
      dedup_key: key,
      title: `Budget ${budget.id} (${scopeText(budget.scope)} ${formatPeriod(budget.period)}) is blocking calls ($${nanoToUsd(spend)} of $${budget.limit_usd})`,
      scope: budget.scope,
      budget_id: budget.id,
      data: facts({ budget, window, limit }, spend, null),
    });
  }
}

function dedup(h: Spent, threshold: number): string {
  return `budget:${h.budget.id}:${new Date(h.window.start).toISOString()}:${threshold}`;
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
