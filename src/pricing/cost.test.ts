import { describe, expect, it } from 'vitest';
import type { RateCard, Usage } from '../ledger/event.js';
import { parseDecimal } from '../money/money.js';
import { costOf, RATE_SCALE } from './cost.js';

const r = (s: string) => parseDecimal(s, RATE_SCALE);
const usage = (u: Partial<Usage>): Usage => ({
  requests: 1,
  input_tokens: 0,
  cache_read_tokens: 0,
  cache_write_5m_tokens: 0,
  cache_write_1h_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  ...u,
});
const card = (c: Partial<RateCard>): RateCard => ({
  input: 0n,
  cache_read: 0n,
  cache_write_5m: 0n,
  cache_write_1h: 0n,
  output: 0n,
  ...c,
});

describe('costOf', () => {
  it('rounds each part once, half-to-even, to the pico-dollar', () => {
    // 1 token × $0.0000015/MTok = 1.5 pico-USD → 2; 1 token × $0.0000025/MTok = 2.5 pico-USD → 2
    const a = costOf(
      usage({ input_tokens: 1, output_tokens: 1 }),
      card({ input: r('0.0000015'), output: r('0.0000025') }),
    );
    expect([a.cost_input, a.cost_output, a.cost_usd]).toEqual([2n, 2n, 4n]);
  });

  it('sums 5m and 1h cache writes before rounding them', () => {
    // 1 × 0.0000005 + 1 × 0.000001 = 1.5 pico-USD → 2 (rounding each first would give 0 + 1 = 1)
    const c = costOf(
      usage({ cache_write_5m_tokens: 1, cache_write_1h_tokens: 1 }),
      card({ cache_write_5m: r('0.0000005'), cache_write_1h: r('0.000001') }),
    );
    expect(c.cost_cache_write).toBe(2n);
  });
});
