import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.js';
import { createGuardedCounters } from './guarded.js';
import { createRedisCounters } from './redis.js';

/**
 * A TCP proxy in front of the real Redis that can partition: once `cutAfterNext()` is called, the next bytes from the
 * client still reach Redis (the reserve runs there) and then nothing passes either way, as when a network drops
 * between a gateway and Redis; `heal()` closes the partitioned connections and lets new ones through.
 */
async function partitionable(target: number): Promise<{
  port: number;
  cutAfterNext(): void;
  heal(): void;
  close(): Promise<void>;
}> {
  let armed = false;
  let cut = false;
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
      if (!cut) client.write(b);
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
    heal: () => {
      armed = false;
      cut = false;
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
