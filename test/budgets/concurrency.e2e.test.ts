import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDecimal } from '../../src/money/money.js';
import type { RunningServer } from '../../src/server/serve.js';
import { call, client, configDir, serve } from './budget-harness.js';
import { type MeteredProvider, startMeteredProvider } from './metered-provider.js';

let up: MeteredProvider;
beforeAll(async () => {
  up = await startMeteredProvider();
});
afterAll(() => up.close());

const LIMIT = '0.1';

async function ledgerSpend(s: RunningServer, team: string): Promise<bigint> {
  await s.wal.drain();
  const r = await s.store.query({ dimensions: [], filters: [{ dimension: 'team', values: [team] }] });
  return r.totals.cost_usd;
}

describe('block budget under 500 concurrent requests (official openai client)', () => {
  it('spend ends at most the limit and at least 95% of it; refusals are 429 with the budget named', async () => {
    const d = await configDir({
      budgets: {
        'load-cap': { scope: { team: 'load' }, period: 'monthly', limit_usd: LIMIT, action: 'block' },
      },
    });
    const s = await serve(d, up);
    try {
      const c = client(s.url);
      // Each call's worst case is about $0.00104 (≈15 input, 100 output tokens of gpt-4o): ~96 of them fit.
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => call(c, i)));
      const ok = results.filter((r) => r.ok);
      const refused = results.filter((r) => !r.ok);
      const spend = await ledgerSpend(s, 'load');
      const limit = parseDecimal(LIMIT);
      expect(spend).toBeLessThanOrEqual(limit);
      expect(spend * 100n).toBeGreaterThanOrEqual(limit * 95n);
      expect(ok.length).toBeGreaterThan(90);
      expect(ok.length).toBeLessThan(110);
      expect(refused.length).toBe(500 - ok.length);
      for (const r of refused) {
        if (r.ok) continue;
        expect(r.status).toBe(429);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(r.body).toMatchObject({
          code: 'GW_BUDGET_EXCEEDED',
          budget: { id: 'load-cap', scope: { team: 'load' }, period: 'monthly', limit_usd: LIMIT },
        });
        const b = (r.body as { budget: { spend_usd: string; resets_at: string } }).budget;
        expect(Date.parse(b.resets_at)).toBeGreaterThan(Date.now());
        expect(parseDecimal(b.spend_usd)).toBeLessThanOrEqual(limit);
      }
      // Another team is not held back.
      expect((await call(client(s.url, 'other'), 1)).ok).toBe(true);
    } finally {
      await s.close();
      await d.rm();
    }
  }, 20_000);

  it('a downgrade budget sends calls to the cheaper model once full, and says so in a header', async () => {
    const d = await configDir({
      budgets: {
        down: {
          scope: { team: 'dg' },
          period: 'daily',
          limit_usd: '0.003',
          action: 'downgrade',
          downgrade_to: 'gpt-4o-mini',
        },
      },
    });
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'dg');
      const first = await call(c, 1);
      expect(first.ok && first.headers.get('x-tokenledger-downgraded')).toBeNull();
      const seen: (string | null)[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await call(c, i);
        expect(r.ok).toBe(true);
        if (r.ok) seen.push(r.headers.get('x-tokenledger-downgraded'));
      }
      expect(seen.at(-1)).toBe('gpt-4o -> gpt-4o-mini; budget=down');
      expect(up.models.at(-1)).toBe('gpt-4o-mini');
      await s.wal.drain();
      const mini = await s.store.query({
        dimensions: ['model'],
        filters: [{ dimension: 'team', values: ['dg'] }],
      });
      expect(mini.rows.map((r) => r.dims.model).sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);
    } finally {
      await s.close();
      await d.rm();
    }
  });

  it('a restart rebuilds the counters from the ledger: spend before it still counts', async () => {
    const d = await configDir({
      budgets: {
        small: { scope: { team: 'rs' }, period: 'rolling:7d', limit_usd: '0.0035', action: 'block' },
      },
    });
    let s = await serve(d, up);
    const before = await Promise.all([1, 2, 3, 4].map((i) => call(client(s.url, 'rs'), i)));
    expect(before.filter((r) => r.ok)).toHaveLength(3);
    await s.close();
    s = await serve(d, up);
    try {
      const after = await call(client(s.url, 'rs'), 9);
      expect(after.ok).toBe(false);
      expect(!after.ok && after.status).toBe(429);
      expect(await ledgerSpend(s, 'rs')).toBeLessThanOrEqual(parseDecimal('0.0035'));
    } finally {
      await s.close();
      await d.rm();
    }
  });
});
