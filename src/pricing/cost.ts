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
