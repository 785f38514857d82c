/**
 * The demo's own seeded randomness. Math.random cannot be seeded, and the demo must give the same ledger for the same
 * options on every machine, so every draw comes from mulberry32 (32-bit state, fast, good enough for synthetic
 * data). Each session owns its own Rng, so a session's calls do not depend on how sessions interleave in time.
 */
export class Rng {
  private s: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.s = seed | 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal by Marsaglia's polar method (no trigonometry); the pair's second value is kept for next time. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let q: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Log-normal with the given median and log-space sigma, rounded and clamped to [lo, hi]. */
  logNormalInt(median: number, sigma: number, lo: number, hi: number): number {
    const x = Math.round(median * Math.exp(sigma * this.normal()));
    return Math.min(Math.max(x, lo), hi);
  }

  /** Poisson count: Knuth's product method for small means, a rounded normal for large ones. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Index into `weights` (non-negative, not all zero) drawn in proportion to the weights. */
  pick(weights: readonly number[], total: number): number {
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

/**
 * A bijection on 32-bit integers (Chris Wellons' lowbias32; every step is invertible), so distinct inputs give
 * distinct outputs: used to derive independent seeds and unique, random-looking ids from counters.
 */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A seed for the `k`-th stream of purpose `salt` under the user's seed. */
export function subSeed(seed: number, salt: number, k: number): number {
  return mix32((mix32((seed ^ Math.imul(salt, 0x9e3779b9)) >>> 0) + k) >>> 0);
}

export function hex8(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}
