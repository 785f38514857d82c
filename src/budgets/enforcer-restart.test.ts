import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentsCall, paymentsSpent } from '../../test/helpers/payments-call.js';
import { startRedis, type TestRedis } from '../../test/helpers/redis.js';
import { eventId } from '../ledger/event-id.js';
import { loadPricer } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';
import type { Budget } from './budget.js';
import { createGuardedCounters, type GuardedCounters } from './counters/guarded.js';
import { createRedisCounters, type RedisCounters } from './counters/redis.js';
import { Enforcer, type Reservation } from './enforcer.js';
import { budgetWindow } from './period.js';
import { countPromptTokens as countTokens } from './prompt-tokens.js';

// Our own redis-server even on CI: these tests restart it empty.
let server: TestRedis;
let pricer: Pricer;
let dir: string;
beforeAll(async () => {
  [server, pricer, dir] = await Promise.all([
    startRedis({ own: true }),
    loadPricer({ cwd: tmpdir(), env: {} }),
    mkdtemp(join(tmpdir(), 'tl-enf-restart-')),
  ]);
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const NOW = Date.parse('2026-05-14T15:30:00Z');

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A gateway's budget machinery over the real Redis and a real DuckDB ledger, rebuilt on every new connection. */
async function gateway(
  name: string,
  policy: 'fail-closed' | 'fail-open' = 'fail-closed',
  action: Budget['action'] = 'block',
) {
  const store: Store = await createDuckDbStore(join(dir, `${name}.duckdb`));
  const b: Budget = {
    id: `${name}-${process.pid}`,
    name: null,
    scope: { team: 'payments' },
    tz: 'UTC',
    period: { kind: 'monthly' },
    limit_usd: '100',
    thresholds: [],
    action,
    downgrade_to: null,
    origin: 'config',
    created_at: '2026-01-01T00:00:00Z',
  };
  const redis: RedisCounters = createRedisCounters({ url: server.url, commandTimeoutMs: 2000 });
  await redis.ready();
  let enforcer: Enforcer | null = null;
  /** Run once, as the next rebuild starts reading the ledger: what happens meanwhile on the gateway. */
  let whileReading: (() => Promise<void>) | null = null;
  /** The rebuilds' look-ups of calls in flight (reads of events, one by one or together). */
  let lookups = 0;
  const counted = <K extends 'events' | 'held'>(k: K) => ({
    value: (...a: Parameters<Store[K]>) => {
      lookups++;
      return (store[k] as (...b: Parameters<Store[K]>) => ReturnType<Store[K]>)(...a);
    },
  });
  const reading: Store = Object.create(store, {
    events: counted('events'),
    held: counted('held'),
    query: {
      value: async (q: Parameters<Store['query']>[0]) => {
        const f = whileReading;
        whileReading = null;
        await f?.();
        return store.query(q);
      },
    },
  });
  const counters: GuardedCounters = createGuardedCounters(redis, {
    policy,
    log: () => {},
    retryIntervalMs: 0,
    // What start-budgets does: the ledger (here written straight to the store) rebuilds a new connection.
    onRecover: async (direct) => {
      await enforcer!.rebuild(reading, [], direct);
    },
  });
  enforcer = new Enforcer({ budgets: () => [b], counters, pricer, now: () => NOW, countTokens });
  await enforcer.rebuild(store);
  const key = budgetWindow(b, NOW).keys;
  let n = 0;
  return {
    store,
    enforcer,
    counters,
    redis,
    whileReading: (f: () => Promise<void>) => {
      whileReading = f;
    },
    lookups: () => lookups,
    /** What the counter holds, read after any rebuild the new connection needs. */
    counted: async () => (await counters.read([key]))[0]!,
    /** What the ledger says the budget spent. */
    spent: () => paymentsSpent(store),
    /** A call as the gateway admits it, and the event it records when it ends (output_tokens of gpt-4o). */
    call: (outputTokens: number) =>
      paymentsCall(pricer, eventId('test', name, n++), NOW * 1000 + n, outputTokens),
    close: async () => {
      await redis.close();
      await store.close();
    },
  };
}

async function restartEmpty(redis: RedisCounters): Promise<void> {
  await server.restartable!.kill();
  await until(() => !redis.connected);
  await server.restartable!.start();
  await until(() => redis.connected);
}

describe('a call in flight while Redis restarts empty', () => {
  it('settled after the rebuild: the counter holds what the ledger holds, not one worst case less', async () => {
    const g = await gateway('after');
    try {
      const earlier = g.call(300);
      await g.enforcer.settle(await g.enforcer.admit(earlier.admit), earlier.event);
      await g.store.append([earlier.event]);
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await restartEmpty(g.redis);
      // The next call rebuilds the new connection from the ledger, which holds the earlier call only.
      expect(await g.counted()).toBe(await g.spent());
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('recorded before the rebuild and settled after it: counted once', async () => {
    const g = await gateway('before');
    try {
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await restartEmpty(g.redis);
      // The call ends and is in the ledger before the rebuild reads it; its settle comes after.
      await g.store.append([inFlight.event]);
      expect(await g.counted()).toBe(await g.spent());
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('given back after the restart (the call failed): the rebuilt counter keeps what the ledger holds', async () => {
    const g = await gateway('release');
    try {
      const earlier = g.call(300);
      await g.enforcer.settle(await g.enforcer.admit(earlier.admit), earlier.event);
      await g.store.append([earlier.event]);
      const r = await g.enforcer.admit(g.call(200).admit);
      await restartEmpty(g.redis);
      expect(await g.counted()).toBe(await g.spent());
      await g.enforcer.release(r);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('settled while Redis is down, then it comes back empty: counted once, by the rebuild', async () => {
    const g = await gateway('down');
    try {
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await server.restartable!.kill();
      await until(() => !g.redis.connected);
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      await server.restartable!.start();
      await until(() => g.redis.connected);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('Redis only reconnected (it kept its keys): the settle still replaces the reservation', async () => {
    const g = await gateway('kept');
    try {
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      const before = g.redis.connections;
      const admin = new Redis(server.url);
      try {
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      } finally {
        admin.disconnect();
      }
      await until(() => g.redis.connections > before && g.redis.connected);
      // The new connection is rebuilt (the ledger is empty: nothing to seed) before the settle counts on it.
      expect(await g.counted()).toBeGreaterThan(0n);
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });
});

describe('a call let through unchecked while Redis was down (fail-open), which then restarted empty', () => {
  it('recorded before the rebuild its settle waits for: counted once', async () => {
    const g = await gateway('unchecked', 'fail-open');
    try {
      await server.restartable!.kill();
      await until(() => !g.redis.connected);
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await server.restartable!.start();
      await until(() => g.redis.connected);
      // The call ends: in the ledger, then its settle, the first use of the new connection, rebuilds it from there.
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('settled after the rebuild: counted once', async () => {
    const g = await gateway('unchecked-after', 'fail-open');
    try {
      await server.restartable!.kill();
      await until(() => !g.redis.connected);
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await server.restartable!.start();
      await until(() => g.redis.connected);
      expect(await g.counted()).toBe(await g.spent());
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });
});

describe('an alert budget (it reserves nothing) when Redis restarts empty', () => {
  it('a call recorded before the rebuild its settle waits for is counted once', async () => {
    const g = await gateway('alert', 'fail-closed', 'alert');
    try {
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await restartEmpty(g.redis);
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('a call admitted and settled while the rebuild reads the ledger is counted once', async () => {
    for (const recordedBeforeRead of [true, false]) {
      const g = await gateway(`alert-settled-during-${recordedBeforeRead}`, 'fail-closed', 'alert');
      try {
        await restartEmpty(g.redis);
        const during = g.call(200);
        let settled: Promise<void> | null = null;
        g.whileReading(async () => {
          const r = await g.enforcer.admit(during.admit);
          if (recordedBeforeRead) await g.store.append([during.event]);
          // Not awaited: the settle may wait for the very rebuild that is reading.
          settled = g.enforcer.settle(r, during.event);
          await new Promise((res) => setTimeout(res, 50));
        });
        await g.counted();
        expect(settled).not.toBeNull();
        if (!recordedBeforeRead) await g.store.append([during.event]);
        await settled!;
        expect(await g.counted()).toBe(await g.spent());
      } finally {
        await g.close();
      }
    }
  });

  it('a call admitted while the rebuild reads the ledger, and recorded before the read, is counted once', async () => {
    const g = await gateway('alert-during', 'fail-closed', 'alert');
    try {
      await restartEmpty(g.redis);
      // An alert budget's admission touches no counter, so it does not wait for the rebuild the next counter call
      // starts: this call arrives while the rebuild reads the ledger, and ends (is recorded) before the read.
      let r: Reservation | null = null;
      const during = g.call(200);
      g.whileReading(async () => {
        r = await g.enforcer.admit(during.admit);
        await g.store.append([during.event]);
      });
      expect(await g.counted()).toBe(await g.spent());
      await g.enforcer.settle(r!, during.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });
});

describe('a long outage', () => {
  it('forgets the calls whose settles it could not keep: a later rebuild looks up none of them', async () => {
    const g = await gateway('owed', 'fail-open', 'alert');
    try {
      await server.restartable!.kill();
      await until(() => !g.redis.connected);
      // More calls end during the outage than their settles are kept for (100,000): the last one's is dropped.
      const { admit, event } = g.call(200);
      for (let i = 0; i <= 100_000; i++) {
        const r = await g.enforcer.admit({ ...admit, eventId: `${admit.eventId}-${i}` });
        await g.enforcer.settle(r, event);
      }
      await server.restartable!.start();
      await until(() => g.redis.connected);
      await g.counted();
      // Nothing is in flight any more: a rebuild has no call to look for in the ledger.
      let lookups = 0;
      const counting: Store = Object.create(g.store, {
        events: {
          value: (f: Parameters<Store['events']>[0]) => {
            lookups++;
            return g.store.events(f);
          },
        },
      });
      await g.enforcer.rebuild(counting);
      expect(lookups).toBe(0);
    } finally {
      await g.close();
    }
  }, 120_000);
});

describe('a rebuild with many calls in flight', () => {
  it('looks them all up in one read of the store before and one after reading the ledger, and counts each once', async () => {
    const g = await gateway('many');
    try {
      const calls = [];
      for (let i = 0; i < 300; i++) {
        const c = g.call(100);
        calls.push({ ...c, r: await g.enforcer.admit(c.admit) });
      }
      await restartEmpty(g.redis);
      // Half of them end before the rebuild reads the ledger, half after it.
      await g.store.append(calls.slice(0, 150).map((c) => c.event));
      expect(await g.counted()).toBe(await g.spent());
      expect(g.lookups()).toBe(2);
      await g.store.append(calls.slice(150).map((c) => c.event));
      for (const c of calls) await g.enforcer.settle(c.r, c.event);
      expect(await g.counted()).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });
});
