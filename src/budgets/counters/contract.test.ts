import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import type { Claim, Counters } from './counters.js';
import { MemoryCounters } from './memory.js';
import { createRedisCounters } from './redis.js';

/**
 * One behaviour suite for every Counters implementation. `b` is a second client on the same store (for Redis a
 * second connection, as a second gateway instance would have); `advance` moves time forward for TTL checks.
 */
interface Harness {
  a: Counters;
  b: Counters;
  advance(ms: number): Promise<void>;
}

const drivers: [string, () => Promise<{ h: Harness; done(): Promise<void> }>][] = [
  [
    'memory',
    async () => {
      let now = 1_700_000_000_000;
      const c = new MemoryCounters(() => now);
      return {
        h: {
          a: c,
          b: c,
          advance: async (ms) => {
            now += ms;
          },
        },
        done: () => c.close(),
      };
    },
  ],
  [
    'redis',
    async () => {
      const server: TestRedis = await startRedis();
      // The contract is about atomicity and expiry, not latency: the production 200 ms command timeout (a gateway
      // call must not wait on a slow Redis) made the 1000-concurrent-reserves case time out on a loaded CI machine.
      const a = createRedisCounters({ url: server.url, commandTimeoutMs: 10_000 });
      const b = createRedisCounters({ url: server.url, commandTimeoutMs: 10_000 });
      await Promise.all([a.ready(), b.ready()]);
      return {
        h: { a, b, advance: (ms) => new Promise((r) => setTimeout(r, ms)) },
        done: async () => {
          await Promise.all([a.close(), b.close()]);
          await server.stop();
        },
      };
    },
  ],
];

const claim = (keys: string[], amount: bigint, limit: bigint | null, ttlSeconds = 60): Claim => ({
  keys,
  amount,
  limit,
  ttlSeconds,
});

describe.each(drivers)('Counters contract: %s', (_name, make) => {
  let h: Harness;
  let done: () => Promise<void>;
  // Fresh keys per test, so a shared CI Redis and earlier tests never leak into a result.
  const k = (name: string) => `tl:test:${randomBytes(6).toString('hex')}:${name}`;

  beforeAll(async () => {
    ({ h, done } = await make());
  });
  afterAll(async () => {
    await done();
  });

  it('reserves up to the limit exactly and reports totals', async () => {
    const key = k('a');
    expect(await h.a.reserve([claim([key], 60n, 100n)])).toMatchObject({ ok: true, totals: [60n] });
    expect(await h.a.reserve([claim([key], 40n, 100n)])).toMatchObject({ ok: true, totals: [100n] });
    expect(await h.a.reserve([claim([key], 1n, 100n)])).toEqual({ ok: false, index: 0, current: 100n });
    expect(await h.a.read([[key]])).toEqual([100n]);
  });

  it('is all or nothing: a failing claim adds nothing to the others', async () => {
    const [x, y, z] = [k('x'), k('y'), k('z')];
    await h.a.add([claim([y], 90n, null)]);
    const r = await h.a.reserve([claim([x], 5n, 1000n), claim([z], 5n, null), claim([y], 20n, 100n)]);
    expect(r).toEqual({ ok: false, index: 2, current: 90n });
    expect(await h.a.read([[x], [y], [z]])).toEqual([0n, 90n, 0n]);
  });

  it('never fails a claim without a limit, and still counts it', async () => {
    const key = k('n');
    const r = await h.a.reserve([claim([key], 10n ** 15n, null)]);
    expect(r).toMatchObject({ ok: true, totals: [10n ** 15n] });
    expect(await h.a.read([[key]])).toEqual([10n ** 15n]);
  });

  it('adds negative amounts (settling below a reservation, releasing one)', async () => {
    const key = k('s');
    await h.a.reserve([claim([key], 500n, 1000n)]);
    await h.a.add([claim([key], -320n, null)]);
    expect(await h.a.read([[key]])).toEqual([180n]);
    await h.a.add([claim([key], -180n, null)]);
    expect(await h.a.reserve([claim([key], 1000n, 1000n)])).toMatchObject({ ok: true, totals: [1000n] });
  });

  it('sums every key of a claim (hourly buckets) and adds to the first', async () => {
    const [h0, h1, h2] = [k('h0'), k('h1'), k('h2')];
    await h.a.seed([
      { key: h1, value: 300n, ttlSeconds: 60 },
      { key: h2, value: 200n, ttlSeconds: 60 },
    ]);
    expect(await h.a.reserve([claim([h0, h1, h2], 501n, 1000n)])).toEqual({
      ok: false,
      index: 0,
      current: 500n,
    });
    expect(await h.a.reserve([claim([h0, h1, h2], 500n, 1000n)])).toMatchObject({
      ok: true,
      totals: [1000n],
    });
    expect(await h.a.read([[h0], [h1], [h2], [h0, h1, h2], []])).toEqual([500n, 300n, 200n, 1000n, 0n]);
  });

  it('a negative bucket lowers the sum (a settle landing in a later hour)', async () => {
    const [h0, h1] = [k('h0'), k('h1')];
    await h.a.add([claim([h1], 400n, null)]);
    await h.a.add([claim([h0], -150n, null)]);
    expect(await h.a.read([[h0, h1]])).toEqual([250n]);
    expect(await h.a.reserve([claim([h0, h1], 750n, 1000n)])).toMatchObject({ ok: true, totals: [1000n] });
    expect(await h.a.read([[h0]])).toEqual([600n]);
  });

  it('seeds only keys that do not exist yet, and says which it set', async () => {
    const [s1, s2] = [k('s1'), k('s2')];
    await h.a.add([claim([s1], 7n, null)]);
    const set = await h.b.seed([
      { key: s1, value: 100n, ttlSeconds: 60 },
      { key: s2, value: 100n, ttlSeconds: 60 },
    ]);
    expect(set).toEqual([s2]);
    expect(await h.a.seed([{ key: s2, value: 5n, ttlSeconds: 60 }])).toEqual([]);
    expect(await h.a.read([[s1], [s2]])).toEqual([7n, 100n]);
  });

  it('compares exactly beyond 2^53 (where a double would round)', async () => {
    const key = k('big');
    const base = 2n ** 60n + 1n;
    await h.a.seed([{ key, value: base, ttlSeconds: 60 }]);
    expect(await h.a.reserve([claim([key], 5n, base + 4n)])).toEqual({ ok: false, index: 0, current: base });
    expect(await h.a.reserve([claim([key], 4n, base + 4n)])).toMatchObject({ ok: true, totals: [base + 4n] });
    const neg = k('neg');
    await h.a.add([claim([neg], -(2n ** 55n) - 3n, null)]);
    expect(await h.a.reserve([claim([neg, key], 1n, base + 4n)])).toMatchObject({
      ok: true,
      totals: [base + 4n - 2n ** 55n - 2n],
    });
    expect(await h.a.read([[neg]])).toEqual([-(2n ** 55n) - 2n]);
  });

  it('forgets keys after their TTL', async () => {
    const [short, long] = [k('short'), k('long')];
    await h.a.reserve([claim([short], 10n, null, 1), claim([long], 10n, null, 30)]);
    await h.a.seed([{ key: k('unused'), value: 1n, ttlSeconds: 1 }]);
    await h.advance(1100);
    expect(await h.a.read([[short], [long]])).toEqual([0n, 10n]);
    expect(await h.a.reserve([claim([short], 100n, 100n)])).toMatchObject({ ok: true, totals: [100n] });
  });

  it('never passes the limit under 1000 concurrent reserves from two clients', async () => {
    const key = k('race');
    const other = k('race-requests');
    const limit = 3000n;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        (i % 2 === 0 ? h.a : h.b).reserve([claim([other], 1n, null), claim([key], 7n, limit)]),
      ),
    );
    const ok = results.filter((r) => r.ok).length;
    // Every reservation that fits is granted (428 × 7 = 2996), none beyond; the failing ones added nothing.
    expect(ok).toBe(Number(limit / 7n));
    expect(await h.b.read([[key], [other]])).toEqual([7n * BigInt(ok), BigInt(ok)]);
    for (const r of results) if (!r.ok) expect(r.current).toBeLessThanOrEqual(limit);
  });
});
