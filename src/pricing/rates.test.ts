import { describe, expect, it } from 'vitest';
import { parseDecimal } from '../money/money.js';
import type { PriceSet } from './catalog.js';
import { RATE_SCALE } from './cost.js';
import { rateCard, tierRate } from './rates.js';

const r = (s: string) => parseDecimal(s, RATE_SCALE);

describe('rate cards', () => {
  const tiered = { base: r('1.25'), tiers: [{ start: 200_000, price: r('2.5') }] };

  it('a tier applies only when total input is strictly above its start (genai-prices rule)', () => {
    expect(tierRate(tiered, 200_000)).toBe(r('1.25'));
    expect(tierRate(tiered, 200_001)).toBe(r('2.5'));
  });

  it('falls back for missing parts: cache read and 5m write to input, 1h write to 2x input for Claude else the 5m rate', () => {
    const prices: PriceSet = {
      input_mtok: { base: r('3'), tiers: [] },
      output_mtok: { base: r('15'), tiers: [] },
    };
    const claude = rateCard({
      prices,
      totalInput: 0,
      multiplier: null,
      percentOff: null,
      claude: true,
      webSearch: 0n,
    }).rates;
    expect([claude.cache_read, claude.cache_write_5m, claude.cache_write_1h]).toEqual([
      r('3'),
      r('3'),
      r('6'),
    ]);
    const withWrite = { ...prices, cache_write_mtok: { base: r('3.75'), tiers: [] } };
    const other = rateCard({
      prices: withWrite,
      totalInput: 0,
      multiplier: null,
      percentOff: null,
      claude: false,
      webSearch: 0n,
    }).rates;
    expect(other.cache_write_1h).toBe(r('3.75'));
  });

  it('applies the service-tier multiplier, then the discount, rounding half-to-even at 18 digits', () => {
    const prices: PriceSet = {
      input_mtok: { base: r('0.000000000000000003'), tiers: [] },
      output_mtok: { base: r('10'), tiers: [] },
    };
    // 3e-18 × 0.5 = 1.5e-18 → 2e-18 (half to even); then × 0.5 (50% off) = 1e-18
    const card = rateCard({
      prices,
      totalInput: 0,
      multiplier: r('0.5'),
      percentOff: r('50'),
      claude: false,
      webSearch: 0n,
    });
    expect(card.rates.input).toBe(r('0.000000000000000001'));
    expect(card.rates.output).toBe(r('2.5'));
  });

  it('flags parts with no price at all', () => {
    const card = rateCard({
      prices: { input_mtok: { base: r('0.02'), tiers: [] } },
      totalInput: 0,
      multiplier: null,
      percentOff: null,
      claude: false,
      webSearch: 0n,
    });
    expect([card.noInput, card.noOutput]).toEqual([false, true]);
  });
});
