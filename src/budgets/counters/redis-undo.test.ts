import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import { createGuardedCounters } from './guarded.js';
import { createRedisCounters } from './redis.js';

/**
 * A TCP proxy in front of the real Redis that can partition: once `cutAfterNext()` is called, the next bytes from the
 * client still reach Redis (the reserve runs there) and then nothing passes either way, as when a network drops
 * between a gateway and Redis; `heal()` closes the partitioned connections and lets new ones through. `deafen()` lets
 * commands through but no reply, until `cut()` stops both.
 */
async function partitionable(target: number): Promise<{
  port: number;
  cutAfterNext(): void;
  deafen(): void;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}> {
  let armed = false;
  let cut = false;
  let deaf = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    client.on('data', (b) => {
      if (cut) return;
      upstream.write(b);
      if (armed) cut = true;
    });
    upstream.on('data', (b) => {
      if (!cut && !deaf) client.write(b);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cutAfterNext: () => {
      armed = true;
    },
    deafen: () => {
      deaf = true;
    },
    cut: () => {
      cut = true;
    },
    heal: () => {
      armed = false;
      cut = false;
      deaf = false;
      for (const s of open) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

let server: TestRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

describe('a reserve whose reply a network partition lost', () => {
  it('is taken back once a new connection is made, though its undo timed out on the old one', async () => {
    const proxy = await partitionable(Number(new URL(server.url).port));
    const counters = createRedisCounters({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 200 });
    await counters.ready();
    const g = createGuardedCounters(counters, { policy: 'fail-closed', log: () => {}, retryIntervalMs: 0 });
    const key = `tl:test:undo:${process.pid}:${Date.now()}`;
    const claim = (amount: bigint) => ({ keys: [key], amount, limit: 10_000n, ttlSeconds: 3600 });
    const direct = new Redis(server.url);
    try {
      expect(await g.reserve([claim(100n)])).toMatchObject({ ok: true }); // loads the script
      proxy.cutAfterNext();
      // Redis runs it and reserves; the reply never comes, nor does the undo sent behind it: refused with 503.
      await expect(g.reserve([claim(1000n)])).rejects.toMatchObject({ code: 'GW_COUNTERS_UNAVAILABLE' });
      expect(await direct.get(key)).toBe('1100');
      // The undo timed out too, on a connection that looked up; then the connection drops and a new one is made.
      await new Promise((r) => setTimeout(r, 400));
      const before = counters.connections;
      proxy.heal();
      for (let i = 0; i < 200 && !(counters.connections > before && counters.connected); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(counters.connections).toBeGreaterThan(before);
      let counted: string | null = null;
      for (let i = 0; i < 100 && counted !== '100'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        counted = await direct.get(key);
      }
      expect(counted).toBe('100');
    } finally {
      direct.disconnect();
      await counters.close();
      await proxy.close();
    }
  });
});

describe('more reserves lost to a partition than undos are kept for (10,000)', () => {
  it('takes every one of them back once a new connection is made, the oldest too', async () => {
    const proxy = await partitionable(Number(new URL(server.url).port));
    const counters = createRedisCounters({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 2000 });
    await counters.ready();
    const key = `tl:test:undo-cap:${process.pid}:${Date.now()}`;
    const claim = (amount: bigint) => ({ keys: [key], amount, limit: null, ttlSeconds: 3600 });
    const direct = new Redis(server.url);
    try {
      await counters.reserve([claim(100n)]); // loads the script
      proxy.deafen();
      // 10,001 reserves reach Redis and reserve; no reply comes back, nor do the undos sent behind them.
      const lost = Promise.allSettled(Array.from({ length: 10_001 }, () => counters.reserve([claim(1n)])));
      let reserved: string | null = null;
      for (let i = 0; i < 150 && reserved !== '10101'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        reserved = await direct.get(key);
      }
      expect(reserved).toBe('10101');
      proxy.cut();
      expect((await lost).every((r) => r.status === 'rejected')).toBe(true);
      // The undos time out too, on a connection that looks up. While they wait, no reserve of unknown fate is added.
      await new Promise((r) => setTimeout(r, 2500));
      expect(await direct.get(key)).toBe('10101');
      await expect(counters.reserve([claim(1n)])).rejects.toMatchObject({ code: 'COUNTERS_NOT_SENT' });
      const before = counters.connections;
      proxy.heal();
      for (let i = 0; i < 300 && !(counters.connections > before && counters.connected); i++)
        await new Promise((r) => setTimeout(r, 10));
      let counted: string | null = null;
      for (let i = 0; i < 300 && counted !== '100'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        counted = await direct.get(key);
      }
      expect(counted).toBe('100');
      expect(await counters.reserve([claim(1n)])).toMatchObject({ ok: true });
    } finally {
      direct.disconnect();
      await counters.close();
      await proxy.close();
    }
  }, 30_000);

  it('sends them again once a Redis that hung answers on the same connection, and reserves again', async () => {
    const own = await startRedis({ own: true });
    const counters = createRedisCounters({ url: own.url, commandTimeoutMs: 500 });
    await counters.ready();
    const key = `tl:test:undo-hung:${process.pid}:${Date.now()}`;
    const claim = (amount: bigint) => ({ keys: [key], amount, limit: null, ttlSeconds: 3600 });
    const direct = new Redis(own.url);
    try {
      await counters.reserve([claim(100n)]);
      own.restartable!.pause();
      // Neither the reserves nor their undos get an answer: all time out, on a connection that stays up.
      const lost = await Promise.allSettled(
        Array.from({ length: 10_001 }, () => counters.reserve([claim(1n)])),
      );
      expect(lost.every((r) => r.status === 'rejected')).toBe(true);
      await new Promise((r) => setTimeout(r, 700));
      await expect(counters.reserve([claim(1n)])).rejects.toMatchObject({ code: 'COUNTERS_NOT_SENT' });
      own.restartable!.resume();
      const before = counters.connections;
      expect(await counters.read([[key]])).toEqual([100n]);
      let reserved: unknown = null;
      for (let i = 0; i < 300 && reserved === null; i++) {
        await new Promise((r) => setTimeout(r, 10));
        reserved = await counters.reserve([claim(1n)]).catch(() => null);
      }
      expect(reserved).toMatchObject({ ok: true });
      expect(await direct.get(key)).toBe('101');
      expect(counters.connections).toBe(before);
    } finally {
      direct.disconnect();
      await counters.close();
      await own.stop();
    }
  }, 30_000);
});

describe('a settle a network partition lost', () => {
  async function partitioned() {
    const proxy = await partitionable(Number(new URL(server.url).port));
    const counters = createRedisCounters({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 200 });
    await counters.ready();
    const key = `tl:test:settle-lost:${process.pid}:${Date.now()}:${Math.random()}`;
    const direct = new Redis(server.url);
    const r = await counters.reserve([{ keys: [key], amount: 1000n, limit: null, ttlSeconds: 3600 }]);
    const marker = r.ok ? r.marker! : null;
    /** The call cost 600 of the 1000 reserved; had its reservation been lost, it would add 600. */
    const settle = () =>
      counters.settle(marker, [{ keys: [key], amount: -400n, ttlSeconds: 3600 }], () => [
        { keys: [key], amount: 600n, ttlSeconds: 3600 },
      ]);
    /** Heals the partition, waits for the new connection, then for the counter to read `value` (null: 200 ms). */
    const healed = async (value: string | null) => {
      await new Promise((r) => setTimeout(r, 300));
      const before = counters.connections;
      proxy.heal();
      for (let i = 0; i < 300 && !(counters.connections > before && counters.connected); i++)
        await new Promise((r) => setTimeout(r, 10));
      if (value === null) await new Promise((r) => setTimeout(r, 200));
      let counted = await direct.get(key);
      for (let i = 0; i < 300 && value !== null && counted !== value; i++) {
        await new Promise((r) => setTimeout(r, 10));
        counted = await direct.get(key);
      }
      return counted;
    };
    return {
      proxy,
      settle,
      healed,
      counted: () => direct.get(key),
      close: async () => {
        direct.disconnect();
        await counters.close();
        await proxy.close();
      },
    };
  }

  it('never reached Redis: sent again on the next connection, it replaces the worst case with the real cost', async () => {
    const p = await partitioned();
    try {
      p.proxy.cut();
      await expect(p.settle()).rejects.toMatchObject({ code: 'COUNTERS_REDIS_UNAVAILABLE' });
      expect(await p.counted()).toBe('1000');
      expect(await p.healed('600')).toBe('600');
    } finally {
      await p.close();
    }
  });

  it('ran, and only its reply was lost: the copy sent again does nothing', async () => {
    const p = await partitioned();
    try {
      p.proxy.cutAfterNext();
      await expect(p.settle()).rejects.toMatchObject({ code: 'COUNTERS_REDIS_UNAVAILABLE' });
      expect(await p.counted()).toBe('600');
      expect(await p.healed(null)).toBe('600');
    } finally {
      await p.close();
    }
  });
});

describe('the settle of a call that reserved nothing, lost to a network partition', () => {
  // Let through unchecked, or counted only by alert budgets: no reservation's marker tells whether the settle ran, so
  // the settle sets a one-time marker of its own, and its copy adds only if that marker is not there. In a database of
  // their own, so that the markers these tests set are the only ones there.
  async function partitioned(now: () => number = Date.now) {
    const proxy = await partitionable(Number(new URL(server.url).port));
    const counters = createRedisCounters({
      url: `redis://127.0.0.1:${proxy.port}/7`,
      commandTimeoutMs: 200,
      now: () => now(),
    });
    await counters.ready();
    const key = `tl:test:settle-once-lost:${process.pid}:${Date.now()}:${Math.random()}`;
    const direct = new Redis(server.url, { db: 7 });
    const settle = () => counters.settle(null, [], () => [{ keys: [key], amount: 600n, ttlSeconds: 3600 }]);
    /** Heals the partition, waits for the new connection, then 300 ms for any copy to run. */
    const healed = async () => {
      await new Promise((r) => setTimeout(r, 300));
      const before = counters.connections;
      proxy.heal();
      for (let i = 0; i < 300 && !(counters.connections > before && counters.connected); i++)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300));
      return direct.get(key);
    };
    return {
      proxy,
      settle,
      healed,
      counted: () => direct.get(key),
      /** Deletes the one-time markers, as their 60 s in Redis would. */
      expireMarkers: async () => {
        const markers = await direct.keys('tl:once:*');
        expect(markers.length).toBeGreaterThan(0);
        await direct.del(...markers);
      },
      close: async () => {
        direct.disconnect();
        await counters.close();
        await proxy.close();
      },
    };
  }

  it('never reached Redis: its copy, sent on the next connection, adds the cost', async () => {
    const p = await partitioned();
    try {
      p.proxy.cut();
      await expect(p.settle()).rejects.toMatchObject({ code: 'COUNTERS_REDIS_UNAVAILABLE' });
      expect(await p.counted()).toBeNull();
      expect(await p.healed()).toBe('600');
    } finally {
      await p.close();
    }
  });

  it('ran, and only its reply was lost: its copy adds nothing', async () => {
    const p = await partitioned();
    try {
      p.proxy.cutAfterNext();
      await expect(p.settle()).rejects.toMatchObject({ code: 'COUNTERS_REDIS_UNAVAILABLE' });
      expect(await p.counted()).toBe('600');
      expect(await p.healed()).toBe('600');
    } finally {
      await p.close();
    }
  });

  it('ran, and the partition outlived its one-time marker: its copy is not sent, so the call counts once', async () => {
    let offset = 0;
    const p = await partitioned(() => Date.now() + offset);
    try {
      p.proxy.cutAfterNext();
      await expect(p.settle()).rejects.toMatchObject({ code: 'COUNTERS_REDIS_UNAVAILABLE' });
      expect(await p.counted()).toBe('600');
      offset = 55_000;
      await p.expireMarkers();
      expect(await p.healed()).toBe('600');
    } finally {
      await p.close();
    }
  });
});
