import type { Cost, RateCard, Usage } from '../ledger/event.js';
import { divRoundHalfEven } from '../money/money.js';

/**
 * The one cost formula. Rates are USD per 1M tokens at 18 fractional digits; costs are pico-dollars (12 digits).
 * Each part is rounded once, half-to-even:
 *
 *   part (pico-USD) = round(tokens × rate / 10^12)      because  tokens × rate × 10^-18 / 10^6 USD = … × 10^-24
 *   cost_cache_write = round((write_5m × rate_5m + write_1h × rate_1h) / 10^12)
 *   cost_usd = cost_input + cost_cache_read + cost_cache_write + cost_output
 *
 * The DuckDB and ClickHouse stores evaluate exactly this in SQL (store/*): change one, change all, and the shared
 * store suite compares them.
 */
export const RATE_SCALE = 18;
const PART_DIVISOR = 10n ** 12n;

export type CostParts = Pick<
  Cost,
  'cost_usd' | 'cost_input' | 'cost_cache_read' | 'cost_cache_write' | 'cost_output'
> & {
  cost_usd: bigint;
  cost_input: bigint;
  cost_cache_read: bigint;
  cost_cache_write: bigint;
  cost_output: bigint;
};

export function costOf(u: Usage, r: RateCard): CostParts {
  const part = (n: bigint) => divRoundHalfEven(n, PART_DIVISOR);
  const cost_input = part(BigInt(u.input_tokens) * r.input);
  const cost_cache_read = part(BigInt(u.cache_read_tokens) * r.cache_read);
  const cost_cache_write = part(
    BigInt(u.cache_write_5m_tokens) * r.cache_write_5m + BigInt(u.cache_write_1h_tokens) * r.cache_write_1h,
  );
  const cost_output = part(BigInt(u.output_tokens) * r.output);
  return {
    cost_usd: cost_input + cost_cache_read + cost_cache_write + cost_output,
    cost_input,
    cost_cache_read,
    cost_cache_write,
    cost_output,
  };
}

const HALF = PART_DIVISOR / 2n;

/** The cost parts as given (any may be null: not given). */
export type GivenParts = { [K in keyof CostParts]: bigint | null };

/**
 * Whether `parts` are exactly what costOf gives for this usage and card, checked without dividing: each part p
 * with n = tokens × rate must satisfy |n − p·10^12| < 10^12/2, or be exactly half with p even (half-to-even), and
 * cost_usd must be their sum. Twice as fast as costOf and comparing, which matters at 300k events/s.
 */
export function costMatches(parts: GivenParts, u: Usage, r: RateCard): boolean {
  const t = (x: number, rate: bigint) => (x === 0 ? 0n : BigInt(x) * rate);
  return (
    partMatches(parts.cost_input, t(u.input_tokens, r.input)) &&
    partMatches(parts.cost_cache_read, t(u.cache_read_tokens, r.cache_read)) &&
    partMatches(
      parts.cost_cache_write,
      t(u.cache_write_5m_tokens, r.cache_write_5m) + t(u.cache_write_1h_tokens, r.cache_write_1h),
    ) &&
    partMatches(parts.cost_output, t(u.output_tokens, r.output)) &&
    parts.cost_usd ===
      parts.cost_input! + parts.cost_cache_read! + parts.cost_cache_write! + parts.cost_output!
  );
}

function partMatches(part: bigint | null, n: bigint): boolean {
  if (part === null) return false;
  const d = n - part * PART_DIVISOR;
  const abs = d < 0n ? -d : d;
  return abs < HALF || (abs === HALF && part % 2n === 0n);
}
