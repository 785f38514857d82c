import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentsCall, paymentsSpent } from '../../test/helpers/payments-call.js';
import { startRedis, type TestRedis } from '../../test/helpers/redis.js';
import { eventId } from '../ledger/event-id.js';
import { loadPricer } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';
import type { Budget } from './budget.js';
import { createGuardedCounters } from './counters/guarded.js';
import { createRedisCounters, type RedisCounters } from './counters/redis.js';
import { Enforcer } from './enforcer.js';
import { budgetWindow } from './period.js';
import { countPromptTokens as countTokens } from './prompt-tokens.js';

let server: TestRedis;
let pricer: Pricer;
let dir: string;
beforeAll(async () => {
  [server, pricer, dir] = await Promise.all([
    startRedis(),
    loadPricer({ cwd: tmpdir(), env: {} }),
    mkdtemp(join(tmpdir(), 'tl-enf-reseed-')),
  ]);
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const NOW = Date.parse('2026-05-14T15:30:00Z');

/**
 * A gateway's budget machinery over the real Redis and a real DuckDB ledger, with a budget on team payments that the
 * test then changes (as the budget book does on a reload: seed the new budgets, then put them in force).
 */
async function gateway(name: string) {
  const store: Store = await createDuckDbStore(join(dir, `${name}.duckdb`));
  const id = `${name}-${process.pid}-${Date.now()}`;
  let budgets: readonly Budget[] = [
    {
      id,
      name: null,
      scope: { team: 'payments' },
      tz: 'UTC',
      period: { kind: 'monthly' },
      limit_usd: '100',
      thresholds: [],
      action: 'block',
      downgrade_to: null,
      origin: 'api',
      created_at: '2026-01-01T00:00:00Z',
    },
  ];
  const redis: RedisCounters = createRedisCounters({ url: server.url, commandTimeoutMs: 2000 });
  await redis.ready();
  const counters = createGuardedCounters(redis, { policy: 'fail-closed', log: () => {}, retryIntervalMs: 0 });
  const enforcer = new Enforcer({ budgets: () => budgets, counters, pricer, now: () => NOW, countTokens });
  await enforcer.rebuild(store);
  let n = 0;
  return {
    store,
    enforcer,
    budget: budgets[0]!,
    /** What the book does when the budgets file changed: seed the new budgets, then put them in force. */
    change: async (next: Budget) => {
      await enforcer.seed(store, [next]);
      budgets = [next];
    },
    /** What the counter of `b` holds. */
    counted: async (b: Budget) => (await counters.read([budgetWindow(b, NOW).keys]))[0]!,
    /** What the ledger says the team spent. */
    spent: () => paymentsSpent(store),
    call: (outputTokens: number) =>
      paymentsCall(pricer, eventId('test', id, n++), NOW * 1000 + n, outputTokens),
    close: async () => {
      await redis.close();
      await store.close();
    },
  };
}

describe('a budget whose scope or period changes while calls are in flight', () => {
  it('counts a call that ends after the change on its new counter, once', async () => {
    const g = await gateway('scope');
    try {
      const earlier = g.call(300);
      await g.enforcer.settle(await g.enforcer.admit(earlier.admit), earlier.event);
      await g.store.append([earlier.event]);
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      // Narrowed to one provider: new counters, seeded from a ledger that does not hold the call yet.
      const narrowed: Budget = { ...g.budget, scope: { team: 'payments', provider: 'openai' } };
      await g.change(narrowed);
      await g.store.append([inFlight.event]);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted(narrowed)).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('counts a call recorded before the change, settled after it, once (the seed read it)', async () => {
    const g = await gateway('period');
    try {
      const inFlight = g.call(200);
      const r = await g.enforcer.admit(inFlight.admit);
      await g.store.append([inFlight.event]);
      const daily: Budget = { ...g.budget, period: { kind: 'daily' } };
      await g.change(daily);
      await g.enforcer.settle(r, inFlight.event);
      expect(await g.counted(daily)).toBe(await g.spent());
    } finally {
      await g.close();
    }
  });

  it('adds nothing to the new counter for a call that fails after the change', async () => {
    const g = await gateway('released');
    try {
      const r = await g.enforcer.admit(g.call(200).admit);
      const daily: Budget = { ...g.budget, period: { kind: 'daily' } };
      await g.change(daily);
      await g.enforcer.release(r);
      expect(await g.counted(daily)).toBe(0n);
    } finally {
      await g.close();
    }
  });
});
