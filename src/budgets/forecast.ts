import { divRoundHalfEven } from '../money/money.js';
import { dayNumber, localDay, localDays, weekdayOf } from './forecast-days.js';
import { median, quantile, sortAmounts } from './forecast-quantile.js';

/** Spend (pico-dollars) of one local day. */
export interface DaySpend {
  /** YYYY-MM-DD in the budget's time zone. */
  date: string;
  spend: bigint;
}

export interface ForecastInput {
  /** The budget's window at `nowMs` (budgetWindow): epoch ms, [start, end). */
  window: { start: number; end: number };
  tz: string;
  nowMs: number;
  /** Pico-dollars. */
  limit: bigint;
  /** Spend in the window so far, pico-dollars. */
  spent: bigint;
  /**
   * Spend per local day, oldest first, every day present (zeros included): the past weeks the seasonality is learnt
   * from. Days on or after today's date are ignored (today is not over), and so are the days before the first one
   * with spend (recording had not begun).
   */
  history: readonly DaySpend[];
  /**
   * Rolling budgets only: the window's length in days and its spend so far per local day (oldest first, the oldest
   * day clipped to the window). The window slides, so old days leave it as new ones are projected in.
   */
  rolling?: { days: number; inWindow: readonly DaySpend[] };
  /** Same-weekday samples per weekday, newest first; default 8 (two months of history). */
  weeks?: number;
  /** Range percentiles of the same-weekday samples; default 10 and 90. */
  lowPct?: number;
  highPct?: number;
}

/** Projected spend of one local day still to come (today: its remainder). */
interface DayForecast {
  date: string;
  expected: bigint;
  low: bigint;
  high: bigint;
}

export interface Forecast {
  limit: bigint;
  spent: bigint;
  /**
   * Projected spend at the end of the period: spent + each remaining day's typical spend (low/high: its low/high
   * percentile). Rolling budgets: the highest the trailing window is projected to reach within one window length.
   */
  expected: bigint;
  low: bigint;
  high: bigint;
  /** Local date the projected spend reaches the limit at the typical rate; null if not before the horizon. */
  run_out: string | null;
  /** The same at the high end of the range: the earliest plausible run-out. */
  run_out_earliest: string | null;
  /** Epoch ms the projection runs to: the period's end, or now + the window length for rolling budgets. */
  horizon: number;
  /** Fewest same-weekday samples behind any projected day (0: no history, the projection is just `spent`). */
  samples: number;
  days: DayForecast[];
}

const DAY_MS = 86_400_000;

interface Typical {
  expected: bigint;
  low: bigint;
  high: bigint;
  n: number;
}

/**
 * What a weekday typically costs: the median of the same weekday over the past `weeks` weeks, with the low/high
 * percentiles as its range. Medians of same weekdays keep weekends cheap and shrug off one incident day. A weekday
 * with no sample yet falls back to all past days.
 *
 * The samples start at the first day with spend: the days before it are before the ledger recorded this scope (a
 * ledger begun last week, a team that began using models), not days it spent nothing. Counted as $0 they would
 * outvote the real days, and a budget set up in its first weeks would be forecast to spend nothing more.
 */
function typicalByWeekday(history: readonly DaySpend[], today: string, o: ForecastInput): Typical[] {
  const weeks = o.weeks ?? 8;
  const cut = dayNumber(today);
  const before = history.filter((d) => dayNumber(d.date) < cut);
  const first = before.findIndex((d) => d.spend !== 0n);
  const past = first === -1 ? [] : before.slice(first);
  const stats = (values: bigint[]): Typical => {
    if (values.length === 0) return { expected: 0n, low: 0n, high: 0n, n: 0 };
    const s = sortAmounts(values);
    return {
      expected: median(s),
      low: quantile(s, o.lowPct ?? 10),
      high: quantile(s, o.highPct ?? 90),
      n: s.length,
    };
  };
  const all = stats(past.map((d) => d.spend));
  return [0, 1, 2, 3, 4, 5, 6].map((w) => {
    const same = past.filter((d) => weekdayOf(d.date) === w).slice(-weeks);
    return same.length > 0 ? stats(same.map((d) => d.spend)) : all;
  });
}

/** `v × num / den`, exact to the pico-dollar. */
const scale = (v: bigint, num: number, den: number) => divRoundHalfEven(v * BigInt(num), BigInt(den));

/**
 * Projects a budget's spend to the end of its period with weekday seasonality, and the day it runs out. Pure.
 * Today's remainder is the weekday's typical spend times the share of the day still to come.
 *
 * @example
 * forecast({ window, tz: 'UTC', nowMs, limit: parseUsd('500'), spent, history }).run_out // '2025-11-27'
 */
export function forecast(o: ForecastInput): Forecast {
  const today = localDay(o.nowMs, o.tz);
  const typical = typicalByWeekday(o.history, today.date, o);
  const horizon = o.rolling ? o.nowMs + o.rolling.days * DAY_MS : o.window.end;
  const days: DayForecast[] = [];
  let samples = Number.POSITIVE_INFINITY;
  for (const d of localDays(o.nowMs, horizon, o.tz)) {
    const from = Math.max(d.start, o.nowMs);
    const to = Math.min(d.end, horizon);
    if (to <= from) continue;
    const t = typical[weekdayOf(d.date)]!;
    samples = Math.min(samples, t.n);
    const part = (v: bigint) => scale(v, to - from, d.end - d.start);
    days.push({ date: d.date, expected: part(t.expected), low: part(t.low), high: part(t.high) });
  }
  const base = { limit: o.limit, spent: o.spent, horizon, samples: days.length ? samples : 0, days };
  return o.rolling ? rollingForecast(o, base) : calendarForecast(o, base);
}

type Base = Pick<Forecast, 'limit' | 'spent' | 'horizon' | 'samples' | 'days'>;

function calendarForecast(o: ForecastInput, base: Base): Forecast {
  const sum = (k: 'expected' | 'low' | 'high') => base.days.reduce((a, d) => a + d[k], o.spent);
  return {
    ...base,
    expected: sum('expected'),
    low: sum('low'),
    high: sum('high'),
    run_out: runOut(o, base.days, 'expected'),
    run_out_earliest: runOut(o, base.days, 'high'),
  };
}

/** First date the cumulative projection reaches the limit; today when it already has. */
function runOut(o: ForecastInput, days: readonly DayForecast[], k: 'expected' | 'high'): string | null {
  if (o.spent >= o.limit) return localDay(o.nowMs, o.tz).date;
  let c = o.spent;
  for (const d of days) {
    c += d[k];
    if (c >= o.limit) return d.date;
  }
  return null;
}

/**
 * A rolling window at the end of each coming day holds what it holds now, minus the days that have slid out of it,
 * plus the projected days that slid in. Evaluated at day ends, so a peak inside a day is seen at that day's end.
 */
function rollingForecast(o: ForecastInput, base: Base): Forecast {
  const { days: n, inWindow } = o.rolling!;
  const peak = { expected: o.spent, low: o.spent, high: o.spent };
  const out = { run_out: null as string | null, run_out_earliest: null as string | null };
  if (o.spent >= o.limit) out.run_out = out.run_out_earliest = localDay(o.nowMs, o.tz).date;
  const proj = { expected: 0n, low: 0n, high: 0n };
  for (const d of base.days) {
    proj.expected += d.expected;
    proj.low += d.low;
    proj.high += d.high;
    // At the end of day D the window covers days D-n+1 … D: earlier days have left it.
    const oldest = dayNumber(d.date) - n + 1;
    const kept = inWindow.reduce((a, w) => (dayNumber(w.date) >= oldest ? a + w.spend : a), 0n);
    for (const k of ['expected', 'low', 'high'] as const) {
      const v = kept + proj[k];
      if (v > peak[k]) peak[k] = v;
    }
    if (out.run_out === null && kept + proj.expected >= o.limit) out.run_out = d.date;
    if (out.run_out_earliest === null && kept + proj.high >= o.limit) out.run_out_earliest = d.date;
  }
  return { ...base, ...peak, ...out };
}
