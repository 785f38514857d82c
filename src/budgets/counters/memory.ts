import type { Claim, Counters, ReserveResult } from './counters.js';

/**
 * Counters for one gateway instance. Everything runs synchronously inside each call, so on Node's single thread a
 * reservation is atomic with no lock. Keys expire lazily once their TTL has passed.
 */
export class MemoryCounters implements Counters {
  private readonly values = new Map<string, { value: bigint; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(key: string): bigint {
    const v = this.values.get(key);
    if (v === undefined) return 0n;
    if (v.expiresAt <= this.now()) {
      this.values.delete(key);
      return 0n;
    }
    return v.value;
  }

  private sum(keys: readonly string[]): bigint {
    let s = 0n;
    for (const k of keys) s += this.get(k);
    return s;
  }

  private bump(key: string, amount: bigint, ttlSeconds: number): void {
    const value = this.get(key) + amount;
    this.values.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  reserveSync(claims: readonly Claim[]): ReserveResult {
    const totals: bigint[] = [];
    for (let i = 0; i < claims.length; i++) {
      const c = claims[i]!;
      const current = this.sum(c.keys);
      if (c.limit !== null && current + c.amount > c.limit) return { ok: false, index: i, current };
      totals.push(current + c.amount);
    }
    for (const c of claims) this.bump(c.keys[0]!, c.amount, c.ttlSeconds);
    return { ok: true, totals };
  }

  async reserve(claims: readonly Claim[]): Promise<ReserveResult> {
    return this.reserveSync(claims);
  }

  async add(claims: readonly Omit<Claim, 'limit'>[]): Promise<void> {
    for (const c of claims) this.bump(c.keys[0]!, c.amount, c.ttlSeconds);
  }

  async read(keys: readonly (readonly string[])[]): Promise<bigint[]> {
    return keys.map((k) => this.sum(k));
  }

  async seed(entries: readonly { key: string; value: bigint; ttlSeconds: number }[]): Promise<void> {
    for (const e of entries)
      if (this.get(e.key) === 0n && !this.values.has(e.key))
        this.values.set(e.key, { value: e.value, expiresAt: this.now() + e.ttlSeconds * 1000 });
  }

  async close(): Promise<void> {
    this.values.clear();
  }
}
