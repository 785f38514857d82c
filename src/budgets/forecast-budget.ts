import { parseUsd } from '../money/money.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Filter } from '../store/query.js';
import type { Store } from '../store/store.js';
import type { Budget } from './budget.js';
import { type DaySpend, type Forecast, forecast } from './forecast.js';
import { localDate, localDay, localDays } from './forecast-days.js';
import { budgetWindow } from './period.js';
import { scopeFilters } from './scope-filters.js';

const DAY_MS = 86_400_000;
const US = 1000;

const isUtc = (tz: string) => ['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Z'].includes(tz);

/**
 * Spend per local day over [fromMs, toMs), zeros included. UTC budgets read daily buckets (the rollup); other zones
 * read hourly buckets and fold them into local days. A zone at :30/:45 from UTC puts each hour on the day it starts
 * in, so up to 45 minutes of spend can land on the neighbouring day.
 */
async function spendByLocalDay(
  store: Store,
  filters: readonly Filter[],
  fromMs: number,
  toMs: number,
  tz: string,
): Promise<DaySpend[]> {
  const daily = isUtc(tz) && fromMs % DAY_MS === 0;
  const res = await store.query({
    dimensions: [],
    filters,
    since: fromMs * US,
    until: toMs * US,
    bucket: daily ? 'day' : 'hour',
  });
  const byDate = new Map<string, bigint>();
  for (const r of res.rows) {
    const date = localDate(Date.parse(r.bucket!), tz);
    byDate.set(date, (byDate.get(date) ?? 0n) + r.cost_usd);
  }
  return localDays(fromMs, toMs, tz).map((d) => ({ date: d.date, spend: byDate.get(d.date) ?? 0n }));
}

export interface ForecastBudgetOptions {
  /** Weeks of history the weekday profile is learnt from; default 8. */
  weeks?: number;
  /** Resolves a `model` scope to the canonical id the ledger holds. */
  pricer?: Pricer | null;
}

/**
 * The forecast of one budget at `nowMs`, from the ledger: its spend so far in the window and the past `weeks` weeks
 * of daily spend in its scope.
 */
export async function forecastBudget(
  store: Store,
  budget: Pick<Budget, 'id' | 'scope' | 'period' | 'tz' | 'limit_usd'>,
  nowMs: number,
  o: ForecastBudgetOptions = {},
): Promise<Forecast> {
  const weeks = o.weeks ?? 8;
  const window = budgetWindow(budget, nowMs);
  const filters = scopeFilters(budget.scope, o.pricer ?? null);
  const histStart = localDay(nowMs - weeks * 7 * DAY_MS, budget.tz).start;
  const history = await spendByLocalDay(store, filters, histStart, nowMs, budget.tz);
  const spentRes = await store.query({
    dimensions: [],
    filters,
    since: window.start * US,
    until: nowMs * US,
  });
  const rolling =
    budget.period.kind === 'rolling'
      ? {
          days: budget.period.days,
          inWindow: await spendByLocalDay(store, filters, window.start, nowMs, budget.tz),
        }
      : undefined;
  return forecast({
    window,
    tz: budget.tz,
    nowMs,
    limit: parseUsd(budget.limit_usd),
    spent: spentRes.totals.cost_usd,
    history,
    rolling,
    weeks,
  });
}
