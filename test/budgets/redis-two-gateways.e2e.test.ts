import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertLogPath, fileAlertLog, listAlerts } from '../../src/budgets/alerts/alert-log.js';
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

  it('each alert reaches the webhook once, though both instances see the shared budget cross its thresholds', async () => {
    const received: { dedup_key: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const id = `alerts-${process.pid}-${Date.now()}`;
    const d = await configDir({
      // ~$0.001 a call: 24 calls cross 20, 40 and 60% of $0.025.
      budgets: {
        [id]: { scope: { team: 'load' }, period: 'monthly', limit_usd: '0.025', thresholds: [20, 40, 60] },
      },
      counters: { store: 'redis', on_unavailable: 'fail-closed', timeout_ms: 5000 },
      alerts: {
        webhooks: [{ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, format: 'json' }],
      },
    });
    const ledgers = [join(d.dir, 'a.duckdb'), join(d.dir, 'b.duckdb')];
    const servers = await Promise.all(
      ledgers.map((l) => startChild(l, d.config, { TOKENLEDGER_REDIS_URL: redis.url })),
    );
    try {
      const clients = servers.map((s) => client(s.url));
      // One at a time, alternating: each instance's next call sees the total the other one pushed past a threshold.
      for (let i = 0; i < 24; i++) expect((await call(clients[i % 2]!, i)).ok).toBe(true);
      await Promise.all(servers.map((s) => stop(s.child))); // closing waits for the deliveries
      const stored = await Promise.all(
        ledgers.map(async (l) =>
          (await listAlerts(fileAlertLog(alertLogPath(l)), {})).alerts.map((a) => a.dedup_key),
        ),
      );
      const keys = [20, 40, 60].map((t) => expect.stringMatching(new RegExp(`^budget:${id}:.*:${t}$`)));
      // Each instance keeps every alert it raised; the same ones, since they share the budget's counter …
      expect(stored[0]!.filter((k) => stored[1]!.includes(k)).length).toBeGreaterThan(0);
      expect([...new Set(stored.flat())].sort()).toEqual(keys);
      // … but one of them delivered each.
      expect(received.map((a) => a.dedup_key).sort()).toEqual(keys);
    } finally {
      for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
      hook.close();
      await d.rm();
    }
  }, 20_000);
});
