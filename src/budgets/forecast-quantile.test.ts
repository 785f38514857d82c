import { describe, expect, it } from 'vitest';
import { median, quantile, sortAmounts } from './forecast-quantile.js';

describe('quantile (type 7, exact)', () => {
  const s = sortAmounts([40n, 10n, 30n, 20n]);
  it('sorts bigints numerically', () => expect(s).toEqual([10n, 20n, 30n, 40n]));
  it('interpolates between order statistics', () => {
    // position = pct/100 × (n − 1): P10 → 0.3 → 10 + 0.3 × 10; P90 → 2.7 → 30 + 0.7 × 10.
    expect(quantile(s, 10)).toBe(13n);
    expect(quantile(s, 50)).toBe(25n);
    expect(quantile(s, 90)).toBe(37n);
    expect(quantile(s, 0)).toBe(10n);
    expect(quantile(s, 100)).toBe(40n);
  });
  it('rounds a half pico-dollar to even', () => {
    expect(median([1n, 2n])).toBe(2n);
    expect(median([2n, 3n])).toBe(2n);
    expect(median([5n])).toBe(5n);
  });
  it('refuses no values and bad percentiles', () => {
    expect(() => quantile([], 50)).toThrow(RangeError);
    expect(() => quantile(s, 101)).toThrow(RangeError);
  });
});
