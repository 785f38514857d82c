import { divRoundHalfEven } from '../money/money.js';

/** Ascending copy of amounts (bigint has no default numeric sort). */
export function sortAmounts(values: readonly bigint[]): bigint[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The `pct`-th percentile (0–100, integer) of ascending amounts, exact: Hyndman & Fan type 7 (the default of R,
 * NumPy and spreadsheets), linear between order statistics, the fraction applied in bigint and rounded half-to-even,
 * so P50 of [1, 2] pico-dollars is 2 (1.5 rounded to even) and no float ever touches an amount.
 */
export function quantile(sorted: readonly bigint[], pct: number): bigint {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new RangeError(`bad percentile ${pct}`);
  const pos100 = pct * (sorted.length - 1);
  const i = Math.floor(pos100 / 100);
  const rem = BigInt(pos100 % 100);
  const lo = sorted[i]!;
  if (rem === 0n) return lo;
  const hi = sorted[i + 1]!;
  return divRoundHalfEven(lo * 100n + (hi - lo) * rem, 100n);
}

export function median(sorted: readonly bigint[]): bigint {
  return quantile(sorted, 50);
}
