import { describe, expect, it } from 'vitest';
import { hex8, mix32, Rng, subSeed } from './prng.js';

describe('Rng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const r = new Rng(1);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02);
  });

  it('draws Poisson counts with the requested mean, small and large', () => {
    const r = new Rng(2);
    for (const mean of [0.4, 3.25, 12, 750]) {
      let sum = 0;
      for (let i = 0; i < 20_000; i++) sum += r.poisson(mean);
      expect(Math.abs(sum / 20_000 - mean) / mean).toBeLessThan(0.03);
    }
    expect(r.poisson(0)).toBe(0);
  });

  it('keeps log-normal integers inside their bounds around the median', () => {
    const r = new Rng(3);
    const xs = Array.from({ length: 10_001 }, () => r.logNormalInt(300, 1, 5, 4000)).sort((a, b) => a - b);
    expect(xs[0]).toBeGreaterThanOrEqual(5);
    expect(xs.at(-1)).toBeLessThanOrEqual(4000);
    expect(Math.abs(xs[5000]! - 300)).toBeLessThan(20);
  });
});

describe('mix32', () => {
  it('maps distinct inputs to distinct outputs (a bijection)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(mix32(Math.imul(i, 65_537) >>> 0)); // odd multiplier: distinct inputs
    expect(seen.size).toBe(100_000);
  });

  it('derives different sub-seeds per purpose and index', () => {
    expect(subSeed(42, 1, 0)).not.toBe(subSeed(42, 2, 0));
    expect(subSeed(42, 1, 0)).not.toBe(subSeed(42, 1, 1));
    expect(subSeed(42, 1, 0)).not.toBe(subSeed(43, 1, 0));
    expect(hex8(0xabc)).toBe('00000abc');
  });
});
