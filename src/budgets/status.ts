import { formatUsd, parseDecimal } from '../money/money.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Store } from '../store/store.js';
import type { Budget } from './budget.js';
import { forecastBudget } from './forecast-budget.js';
import { budgetWindow } from './period.js';

/** Where a budget stands now, as the API, the CLI and the dashboard show it. Money as decimal strings. */
export interface BudgetStatus {
  budget: Budget;
  window: { start: string; end: string; resets_at: string };
  spend_usd: string;
  limit_usd: string;
  /** Spend as a percent of the limit, two decimals (display only; the money fields are exact). */
  percent: number;
  /** Thresholds already crossed this window. */
  crossed: number[];
  /** Projected spend at the period's end with weekday seasonality (a range), and when the limit would be reached. */
  forecast: {
    expected_usd: string;
    low_usd: string;
    high_usd: string;
    /** Local date (budget's time zone) the typical rate reaches the limit; null: not within the period. */
    run_out: string | null;
    /** The same at the high end of the range. */
    run_out_earliest: string | null;
    /** Fewest same-weekday days of history behind the projection (0: none yet). */
    samples: number;
  };
}

/** Spend and forecast from the ledger: the source of truth (the gateway's counters are rebuilt from it). */
export async function budgetStatus(
  store: Store,
  b: Budget,
  nowMs: number,
  pricer: Pricer | null = null,
): Promise<BudgetStatus> {
  const w = budgetWindow(b, nowMs);
  const f = await forecastBudget(store, b, nowMs, { pricer });
  const limit = parseDecimal(b.limit_usd);
  return {
    budget: b,
    window: {
      start: new Date(w.start).toISOString(),
      end: new Date(w.end).toISOString(),
      resets_at: new Date(w.resetsAt).toISOString(),
    },
    spend_usd: formatUsd(f.spent),
    limit_usd: formatUsd(limit),
    percent: Number((f.spent * 10_000n) / limit) / 100,
    crossed: b.thresholds.filter((t) => f.spent * 100n >= limit * BigInt(t)),
    forecast: {
      expected_usd: formatUsd(f.expected),
      low_usd: formatUsd(f.low),
      high_usd: formatUsd(f.high),
      run_out: f.run_out,
      run_out_earliest: f.run_out_earliest,
      samples: f.samples,
    },
  };
}
