import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import type { AlertInput, AlertSink } from '../alerts/alert.js';
import type { Budget } from '../budget.js';
import { BudgetAlerts } from '../budget-alerts.js';
import { budgetWindow } from '../period.js';
import type { Claim } from './counters.js';
import { CountersUnavailableError, createGuardedCounters, renderCountersMetrics } from './guarded.js';
import { createRedisCounters, type RedisCounters } from './redis.js';

// Our own redis-server even on CI: these tests kill and pause it.
let server: TestRedis;
let redis: RedisCounters;
const claim = (amount: bigint, limit: bigint | null): Claim => ({
  keys: [`tl:test:guarded:${process.pid}`],
  amount,
  limit,
  ttlSeconds: 60,
});

class Collect implements AlertSink {
  readonly alerts: AlertInput[] = [];
  raise(a: AlertInput): void {
    this.alerts.push(a);
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t = performance.now();
  try {
    const value = await f();
    return { ms: performance.now() - t, value };
  } catch (error) {
    return { ms: performance.now() - t, error };
  }
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  server = await startRedis({ own: true });
  // A command timeout far above the bounds below, so "fails fast" cannot pass by waiting it out.
  redis = createRedisCounters({ url: server.url, commandTimeoutMs: 5000 });
  await redis.ready();
});
afterAll(async () => {
  await redis.close();
  await server.stop();
});

describe('GuardedCounters over a real Redis that goes away', () => {
  it('fail-closed: refuses fast while Redis is down, logs and alerts once, recovers', async () => {
    const alerts = new Collect();
    const log: string[] = [];
    let recovered = 0;
    const g = createGuardedCounters(redis, {
      policy: 'fail-closed',
      alerts,
      log: (l) => log.push(l),
      retryIntervalMs: 0,
      onRecover: () => {
        recovered++;
      },
    });
    expect(await g.reserve([claim(10n, 1000n)])).toMatchObject({ ok: true });
    expect(g.up).toBe(true);

    await server.restartable!.kill();
    const failures = [];
    for (let i = 0; i < 5; i++) failures.push(await timed(() => g.reserve([claim(10n, 1000n)])));
    for (const f of failures) {
      expect(f.error).toBeInstanceOf(CountersUnavailableError);
      expect((f.error as CountersUnavailableError).code).toBe('GW_COUNTERS_UNAVAILABLE');
      expect((f.error as CountersUnavailableError).status).toBe(503);
      expect(f.ms).toBeLessThan(1000);
    }
    console.log(`redis killed: reserve failed in ${failures.map((f) => f.ms.toFixed(2)).join(', ')} ms`);
    await g.add([claim(-10n, null)]); // a settle during the outage neither throws nor hangs
    expect(g.up).toBe(false);
    expect(g.failuresTotal).toBe(6);
    expect(log.filter((l) => l.includes('COUNTERS DOWN'))).toHaveLength(1);
    expect(alerts.alerts).toHaveLength(1);
    expect(alerts.alerts[0]).toMatchObject({ kind: 'counters', severity: 'critical' });
    expect(renderCountersMetrics(g)).toContain('tokenledger_counters_up{policy="fail-closed"} 0\n');
    expect(renderCountersMetrics(g)).toContain('tokenledger_counters_failures_total 6\n');

    await server.restartable!.start();
    await until(() => redis.connected);
    expect(await g.reserve([claim(10n, 1000n)])).toMatchObject({ ok: true });
    expect(g.up).toBe(true);
    expect(log.at(-1)).toMatch(/counters are back/);
    await until(() => recovered === 1);
    expect(alerts.alerts.at(-1)).toMatchObject({ kind: 'counters', severity: 'info' });
    expect(renderCountersMetrics(g)).toContain('tokenledger_counters_up{policy="fail-closed"} 1\n');
  });

  it('fail-open: lets requests through while down', async () => {
    const log: string[] = [];
    const g = createGuardedCounters(redis, { policy: 'fail-open', log: (l) => log.push(l) });
    await server.restartable!.kill();
    const r = await timed(() => g.reserve([claim(10n ** 18n, 1n)]));
    expect(r.value).toMatchObject({ ok: true });
    expect(r.ms).toBeLessThan(1000);
    await expect(g.read([[claim(1n, null).keys[0]!]])).rejects.toBeInstanceOf(CountersUnavailableError);
    expect(g.up).toBe(false);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/COUNTERS DOWN \(fail-open\)/);
    await server.restartable!.start();
    await until(() => redis.connected);
  });

  it('a hung Redis (SIGSTOP) fails within the command timeout, then short-circuits until the retry interval', async () => {
    // Count the calls that reach the real Redis client (a reserve, or a probe): short-circuiting means the second
    // reserve makes none. (A wall-clock bound on it was flaky on a loaded CI machine.)
    const hung = createRedisCounters({ url: server.url, commandTimeoutMs: 200 });
    await hung.ready();
    let reachedRedis = 0;
    const counted = new Proxy(hung, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          reachedRedis++;
          return value.apply(target, args);
        };
      },
    });
    const g = createGuardedCounters(counted, {
      policy: 'fail-closed',
      log: () => {},
      retryIntervalMs: 60_000,
    });
    expect(await g.reserve([claim(1n, null)])).toMatchObject({ ok: true });
    server.restartable!.pause();
    try {
      reachedRedis = 0;
      const first = await timed(() => g.reserve([claim(1n, null)]));
      expect(reachedRedis).toBe(1);
      const second = await timed(() => g.reserve([claim(1n, null)]));
      console.log(
        `redis hung: first reserve failed in ${first.ms.toFixed(1)} ms, next in ${second.ms.toFixed(2)} ms`,
      );
      expect(first.error).toBeInstanceOf(CountersUnavailableError);
      // The command timeout is 200 ms; the margin is for a loaded machine, not for a second timeout.
      expect(first.ms).toBeLessThan(1000);
      expect(second.error).toBeInstanceOf(CountersUnavailableError);
      expect(reachedRedis).toBe(1);
    } finally {
      server.restartable!.resume();
      await hung.close();
    }
  });
});

describe('GuardedCounters: what an outage did not count is counted when Redis answers again', () => {
  const key = (name: string) => `tl:test:owed:${process.pid}:${name}`;
  const c = (k: string, amount: bigint, limit: bigint | null = null): Claim => ({
    keys: [k],
    amount,
    limit,
    ttlSeconds: 600,
  });

  it('fail-open, Redis hung: calls let through unchecked and settles not sent are added once it answers', async () => {
    const conn = createRedisCounters({ url: server.url, commandTimeoutMs: 200 });
    await conn.ready();
    let clock = 1_000_000;
    const g = createGuardedCounters(conn, { policy: 'fail-open', log: () => {}, now: () => clock });
    const k = key('hung');
    try {
      expect(await g.reserve([c(k, 10n, 1000n)])).toMatchObject({ ok: true });
      server.restartable!.pause();
      try {
        // In flight when Redis stopped answering: it times out, and Redis runs it when it resumes (same connection),
        // but the undo sent behind it takes it back, so it counts as not made: the call passes unchecked.
        expect(await g.reserve([c(k, 5n, 1000n)])).toEqual({ ok: true, unchecked: true });
        // Short-circuited while down: never sent, so nothing was reserved and the caller is told so.
        expect(await g.reserve([c(k, 100n, 1000n)])).toEqual({ ok: true, unchecked: true });
        await g.add([c(k, 70n)]); // that call's real cost, settled while down
        await g.add([c(k, -2n)]); // the first call settling below its reservation
      } finally {
        server.restartable!.resume();
      }
      clock += 1000;
      expect(await g.read([[k]])).toEqual([10n + 70n - 2n]);
      expect(g.up).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('Redis restarted empty: keys rebuilt from the ledger are not added to again; other keys get what they missed', async () => {
    const conn = createRedisCounters({ url: server.url, commandTimeoutMs: 200 });
    await conn.ready();
    let clock = 2_000_000;
    const [rebuilt, missed] = [key('rebuilt'), key('missed')];
    const g = createGuardedCounters(conn, {
      policy: 'fail-open',
      log: () => {},
      now: () => clock,
      // The ledger holds the outage's spend on `rebuilt` (what start-budgets' rebuild seeds).
      onRecover: async (direct) => {
        await direct.seed([{ key: rebuilt, value: 300n, ttlSeconds: 600 }]);
      },
    });
    try {
      expect(await g.reserve([c(rebuilt, 1n)])).toMatchObject({ ok: true });
      await server.restartable!.kill();
      await until(() => !conn.connected);
      expect(await g.reserve([c(rebuilt, 50n, 1000n)])).toEqual({ ok: true, unchecked: true });
      await g.add([c(rebuilt, 40n), c(missed, 9n)]);
      await server.restartable!.start();
      await until(() => conn.connected);
      clock += 1000;
      expect(await g.read([[rebuilt], [missed]])).toEqual([300n, 9n]);
    } finally {
      await conn.close();
    }
  });

  it('a settle while down neither fails nor reads for threshold alerts; they are raised at the next one after', async () => {
    const conn = createRedisCounters({ url: server.url, commandTimeoutMs: 200 });
    await conn.ready();
    let clock = 3_000_000;
    const g = createGuardedCounters(conn, { policy: 'fail-open', log: () => {}, now: () => clock });
    const sink = new Collect();
    const notify = new BudgetAlerts(sink, g);
    const b: Budget = {
      id: 'owed-alerts',
      name: null,
      scope: {},
      tz: 'UTC',
      period: { kind: 'daily' },
      limit_usd: '0.000001',
      thresholds: [50],
      action: 'alert',
      downgrade_to: null,
      origin: 'config',
      created_at: '2026-01-01T00:00:00Z',
    };
    const window = { ...budgetWindow(b, clock), keys: [key('alerts')] };
    const spent = [{ budget: b, window, limit: 1000n, counted: null }];
    try {
      await server.restartable!.kill();
      await until(() => !conn.connected);
      await g.add([c(key('alerts'), 700n)]);
      await expect(notify.afterSpend(spent)).resolves.toBeUndefined();
      expect(sink.alerts).toEqual([]);
      await server.restartable!.start();
      await until(() => conn.connected);
      clock += 1000;
      await notify.afterSpend(spent);
      expect(sink.alerts.map((a) => a.dedup_key)).toEqual([
        expect.stringMatching(/^budget:owed-alerts:.*:50$/),
      ]);
    } finally {
      await conn.close();
    }
  });
});

/**
 * A TCP proxy in front of the real Redis whose replies take `delayMs` to come back (a Redis across a network), and
 * that can be cut: `down()` closes its connections and refuses new ones until `up()`.
 */
async function slowLink(target: number, delayMs: number) {
  let open = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (b) => upstream.write(b));
    upstream.on('data', (b) => setTimeout(() => client.write(b), delayMs));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kill = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    down: () => {
      open = false;
      kill();
    },
    up: () => {
      open = true;
    },
    close: () =>
      new Promise<void>((r) => {
        kill();
        server.close(() => r());
      }),
  };
}

describe('GuardedCounters: settles an outage kept, when Redis answers again', () => {
  it('sends them together, in about one round trip, not one round trip each, and counts each once', async () => {
    const link = await slowLink(Number(new URL(server.url).port), 20);
    const conn = createRedisCounters({ url: link.url, commandTimeoutMs: 2000 });
    await conn.ready();
    const g = createGuardedCounters(conn, { policy: 'fail-open', log: () => {}, retryIntervalMs: 0 });
    const k = `tl:test:owed-settles:${process.pid}:${Date.now()}`;
    try {
      const reserved = await Promise.all(
        Array.from({ length: 300 }, () =>
          g.reserve([{ keys: [k], amount: 10n, limit: null, ttlSeconds: 600 }]),
        ),
      );
      link.down();
      await until(() => !conn.connected);
      // Each call cost 7 of the 10 it reserved; Redis is away, so the settles are kept for its return.
      const kept = [{ keys: [k], amount: -3n, ttlSeconds: 600 }];
      const sent = await Promise.all(reserved.map((r) => g.settle!(r.ok ? r.marker! : null, kept, () => [])));
      expect(sent.every((held) => !held)).toBe(true);
      link.up();
      await until(() => conn.connected);
      // 300 settles one after the other would take 300 × 20 ms.
      const t = await timed(() => g.read([[k]]));
      expect(t.value).toEqual([300n * 7n]);
      expect(t.ms).toBeLessThan(1500);
    } finally {
      await conn.close();
      await link.close();
    }
  });

  /**
   * Fail-open counters over a link that can go down, whose first recovery finds Redis answering its probe and then
   * hanging as what the outage kept goes out: Redis runs it when it resumes. `outage` takes the link down, runs
   * `during`, brings the link back, lets that recovery fail and the next one pass, and reads `key`.
   */
  async function hangingRecovery() {
    const link = await slowLink(Number(new URL(server.url).port), 0);
    const conn = createRedisCounters({ url: link.url, commandTimeoutMs: 200 });
    await conn.ready();
    let hangs = 1;
    const g = createGuardedCounters(conn, {
      policy: 'fail-open',
      log: () => {},
      retryIntervalMs: 0,
      onRecover: () => {
        if (hangs-- > 0) server.restartable!.pause();
      },
    });
    return {
      g,
      async outage(during: () => Promise<unknown>, key: string): Promise<bigint[] | null> {
        link.down();
        await until(() => !conn.connected);
        await during();
        link.up();
        await until(() => conn.connected);
        try {
          await expect(g.read([[key]])).rejects.toBeInstanceOf(CountersUnavailableError);
        } finally {
          server.restartable!.resume();
        }
        await until(() => g.up === false);
        let counted: bigint[] | null = null;
        for (let i = 0; i < 100 && counted === null; i++) {
          await new Promise((r) => setTimeout(r, 20));
          counted = await g.read([[key]]).catch(() => null);
        }
        return counted;
      },
      async close() {
        await conn.close();
        await link.close();
      },
    };
  }

  it("an outage's debts whose repayment times out count once, not again at the next recovery", async () => {
    const h = await hangingRecovery();
    const k = `tl:test:owed-adds-hung:${process.pid}:${Date.now()}`;
    try {
      // Never sent (no connection): owed, to be added when Redis answers again.
      const owe = async () => {
        for (let i = 0; i < 5; i++) await h.g.add([{ keys: [k], amount: 7n, ttlSeconds: 600 }]);
      };
      expect(await h.outage(owe, k)).toEqual([5n * 7n]);
    } finally {
      await h.close();
    }
  });

  it('that time out (Redis hangs as they are sent) are taken as done, never sent again: each counts once', async () => {
    const h = await hangingRecovery();
    const k = `tl:test:owed-settles-hung:${process.pid}:${Date.now()}`;
    const c = (amount: bigint) => [{ keys: [k], amount, ttlSeconds: 600 }];
    try {
      const reserved = await Promise.all(
        Array.from({ length: 50 }, () =>
          h.g.reserve([{ keys: [k], amount: 10n, limit: null, ttlSeconds: 600 }]),
        ),
      );
      // A settle that found its reservation lost would add the call's real cost, 7: sent twice, it would.
      const settle = () =>
        Promise.all(reserved.map((r) => h.g.settle!(r.ok ? r.marker! : null, c(-3n), () => c(7n))));
      expect(await h.outage(settle, k)).toEqual([50n * 7n]);
    } finally {
      await h.close();
    }
  });
});
