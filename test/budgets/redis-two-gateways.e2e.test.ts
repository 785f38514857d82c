import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDecimal } from '../../src/money/money.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { call, client, configDir } from './budget-harness.js';
import { type MeteredProvider, startMeteredProvider } from './metered-provider.js';

let up: MeteredProvider;
let redis: TestRedis;
beforeAll(async () => {
  [up, redis] = await Promise.all([startMeteredProvider(), startRedis()]);
});
afterAll(async () => {
  await up.close();
  await redis.stop();
});

function startChild(
  ledger: string,
  config: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'serve-budget-child.ts'), ledger, up.url, config],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve({ child, url: out.split('\n')[0]! });
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

describe('two gateway processes sharing one redis-server', () => {
  it('500 concurrent requests split across both never take the budget past its limit, and use ≥ 95% of it', async () => {
    // A budget id per run: CI's shared Redis may hold keys of earlier runs.
    const id = `shared-${process.pid}-${Date.now()}`;
    const limit = '0.1';
    const d = await configDir({
      budgets: { [id]: { scope: { team: 'load' }, period: 'monthly', limit_usd: limit, action: 'block' } },
      // Generous: 500 calls on two cores queue up; this test is about exactness, not outages (limits.e2e is).
      counters: { store: 'redis', on_unavailable: 'fail-closed', timeout_ms: 5000 },
    });
    const env = { TOKENLEDGER_REDIS_URL: redis.url };
    const ledgers = [join(d.dir, 'a.duckdb'), join(d.dir, 'b.duckdb')];
    const servers = await Promise.all(ledgers.map((l) => startChild(l, d.config, env)));
    try {
      const clients = servers.map((s) => client(s.url));
      // Warm both with one budgeted call (the tokenizer loads on first use, Redis scripts on first reserve), so
      // neither is a second behind when the load starts. These calls count against the budget too.
      for (const c of clients) expect((await call(c, 0)).ok).toBe(true);
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => call(clients[i % 2]!, i)));
      const ok = results.filter((r) => r.ok).length;
      for (const r of results) if (!r.ok) expect(r.status).toBe(429);
      await Promise.all(servers.map((s) => stop(s.child)));
      let spend = 0n;
      for (const l of ledgers) {
        const store = await createDuckDbStore(l);
        spend += (await store.query({ dimensions: [], filters: [{ dimension: 'team', values: ['load'] }] }))
          .totals.cost_usd;
        await store.close();
      }
      const max = parseDecimal(limit);
      expect(spend).toBeLessThanOrEqual(max);
      expect(spend * 100n).toBeGreaterThanOrEqual(max * 95n);
      expect(ok).toBeGreaterThan(88);
      expect(results.filter((r, i) => r.ok && i % 2 === 0).length).toBeGreaterThan(0);
      expect(results.filter((r, i) => r.ok && i % 2 === 1).length).toBeGreaterThan(0);
    } finally {
      for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
      await d.rm();
    }
  }, 20_000);
});
