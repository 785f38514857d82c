import type { Claim, Counters, ReserveResult } from './counters.js';

/**
 * Counters for one gateway instance. Everything runs synchronously inside each call, so on Node's single thread a
 * reservation is atomic with no lock. Keys expire lazily once their TTL has passed.
 */
export class MemoryCounters implements Counters {
  private readonly values = new Map<string, { value: bigint; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(key: string, now: number): bigint {
    const v = this.values.get(key);
    if (v === undefined) return 0n;
    if (v.expiresAt <= now) {
      this.values.delete(key);
      return 0n;
    }
    return v.value;
  }

  private sum(keys: readonly string[], now: number): bigint {
    let s = 0n;
    for (const k of keys) s += this.get(k, now);
    return s;
  }

  private bump(key: string, amount: bigint, ttlSeconds: number, now: number): void {
    const expiresAt = now + ttlSeconds * 1000;
    const v = this.values.get(key);
    // In place when the key is live: no new entry per call on the hot path.
    if (v !== undefined && v.expiresAt > now) {
      v.value += amount;
      v.expiresAt = expiresAt;
    } else this.values.set(key, { value: amount, expiresAt });
  }

  reserveSync(claims: readonly Claim[]): ReserveResult {
    const now = this.now();
    const totals: bigint[] = [];
    for (let i = 0; i < claims.length; i++) {
      const c = claims[i]!;
      const current = this.sum(c.keys, now);
      if (c.limit !== null && current + c.amount > c.limit) return { ok: false, index: i, current };
      totals.push(current + c.amount);
    }
    for (const c of claims) this.bump(c.keys[0]!, c.amount, c.ttlSeconds, now);
    return { ok: true, totals };
  }

  async reserve(claims: readonly Claim[]): Promise<ReserveResult> {
    return this.reserveSync(claims);
  }

  addSync(claims: readonly Omit<Claim, 'limit'>[]): void {
    const now = this.now();
    for (const c of claims) this.bump(c.keys[0]!, c.amount, c.ttlSeconds, now);
  }

  async add(claims: readonly Omit<Claim, 'limit'>[]): Promise<void> {
    this.addSync(claims);
  }

  async read(keys: readonly (readonly string[])[]): Promise<bigint[]> {
    const now = this.now();
    return keys.map((k) => this.sum(k, now));
  }

  async seed(
    entries: readonly { key: string; value: bigint; ttlSeconds: number }[],
  ): Promise<readonly string[]> {
    const now = this.now();
    const set: string[] = [];
    for (const e of entries)
      if (this.get(e.key, now) === 0n && !this.values.has(e.key)) {
        this.values.set(e.key, { value: e.value, expiresAt: now + e.ttlSeconds * 1000 });
        set.push(e.key);
      }
    return set;
  }

  async close(): Promise<void> {
    this.values.clear();
  }
}
