import { Redis } from 'ioredis';
import type { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { picoToNanoUp } from '../../src/budgets/nano.js';
import { startRedis } from '../helpers/redis.js';
import { call, client, configDir, type Outcome, serve } from './budget-harness.js';
import { type MeteredProvider, startMeteredProvider } from './metered-provider.js';

let up: MeteredProvider;
beforeAll(async () => {
  up = await startMeteredProvider();
});
afterAll(() => up.close());

describe('rate limits through the gateway (official openai client)', () => {
  it('counts requests per minute per team, with x-ratelimit headers, and refuses the one over with 429', async () => {
    const d = await configDir({ rate_limits: [{ per: 'team', rpm: 3, tpm: 100_000 }] });
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'rl');
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await call(c, i));
      const remaining = results.slice(0, 3).map((r) => r.headers.get('x-ratelimit-remaining-requests'));
      expect(remaining).toEqual(['2', '1', '0']);
      expect(results[0]!.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(results[0]!.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
      expect(results[0]!.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
      const refused = results[3]!;
      expect(refused).toMatchObject({ ok: false, status: 429, body: { code: 'GW_RATE_LIMITED' } });
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
      // Per team: another team has its own three.
      expect((await call(client(s.url, 'other'), 1)).ok).toBe(true);
    } finally {
      await s.close();
      await d.rm();
    }
  });

  it('counts tokens per minute and settles them to the real count', async () => {
    // Each call: ~20 input tokens + up to 100 output; 250 tokens a minute lets two through, not three.
    const d = await configDir({ rate_limits: [{ scope: { team: 'tok' }, tpm: 250 }] });
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'tok');
      const a = await call(c, 0);
      const b = await call(c, 1);
      const third = await call(c, 2);
      expect([a.ok, b.ok]).toEqual([true, true]);
      const left = Number(b.headers.get('x-ratelimit-remaining-tokens'));
      expect(left).toBeLessThan(250 - 100);
      expect(third).toMatchObject({ ok: false, status: 429, body: { code: 'GW_RATE_LIMITED' } });
    } finally {
      await s.close();
      await d.rm();
    }
  });
});

describe('budgets and model aliases', () => {
  it('holds a call through an alias to the budgets of the model it names, as the ledger books it', async () => {
    // One gpt-4o-mini call's worst case (~15 input, 100 output tokens) is ~$0.00006: a call fits $0.0001, two do not.
    const d = await configDir({
      models: { aliases: { fast: 'gpt-4o-mini' } },
      budgets: {
        'mini-cap': {
          scope: { model: 'gpt-4o-mini' },
          period: 'monthly',
          limit_usd: '0.0001',
          action: 'block',
        },
      },
    });
    const s = await serve(d, up);
    try {
      const c = client(s.url, 'alias');
      const first = await call(c, 0, 'fast');
      expect(first.ok).toBe(true);
      await s.wal.drain();
      expect((await s.store.events({ limit: 10 }))[0]).toMatchObject({ model_requested: 'gpt-4o-mini' });
      // The alias's spend counts, and the alias is refused as the model's own name is.
      for (const model of ['fast', 'gpt-4o-mini'])
        expect(await call(c, 1, model)).toMatchObject({
          ok: false,
          status: 429,
          body: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'mini-cap' } },
        });
    } finally {
      await s.close();
      await d.rm();
    }
  });
});

describe('a call that sets no output limit', () => {
  it("holds its model's own output limit: gpt-5's 128,000 tokens do not fit $1, gpt-4o's 16,384 do", async () => {
    // At $10 per 1M output tokens, gpt-5's 128,000 are $1.28 and gpt-4o's 16,384 are $0.16 (output-limits.json).
    const d = await configDir({
      budgets: { cap: { scope: { team: 'nolimit' }, period: 'daily', limit_usd: 1, action: 'block' } },
    });
    const s = await serve(d, up);
    const ask = async (model: string, max_tokens?: number): Promise<Outcome> => {
      try {
        await client(s.url, 'nolimit').chat.completions.create({
          model,
          ...(max_tokens === undefined ? {} : { max_tokens }),
          messages: [{ role: 'user', content: 'hello' }],
        });
        return { ok: true, headers: new Headers() };
      } catch (e) {
        const err = e as APIError;
        return { ok: false, status: err.status!, body: err.error, headers: err.headers! };
      }
    };
    try {
      expect(await ask('gpt-5-2025-08-07')).toMatchObject({
        ok: false,
        status: 429,
        body: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'cap' } },
      });
      expect((await ask('gpt-5-2025-08-07', 100)).ok).toBe(true);
      expect((await ask('gpt-4o')).ok).toBe(true);
    } finally {
      await s.close();
      await d.rm();
    }
  });
});

describe('Redis counters going away', () => {
  for (const policy of ['fail-closed', 'fail-open'] as const)
    it(`${policy}: ${policy === 'fail-closed' ? 'refuses budgeted calls with 503' : 'lets budgeted calls through'}, shows it in /metrics, and recovers`, async () => {
      const redis = await startRedis({ own: true });
      const d = await configDir({
        counters: { store: 'redis', on_unavailable: policy },
        budgets: { cap: { scope: { team: 'r' }, period: 'daily', limit_usd: 100, action: 'block' } },
      });
      const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
      const metrics = async () => (await fetch(`${s.url}/metrics`)).text();
      try {
        const c = client(s.url, 'r');
        expect((await call(c, 0)).ok).toBe(true);
        await s.wal.drain();
        const before = (
          await s.store.query({ dimensions: [], filters: [{ dimension: 'team', values: ['r'] }] })
        ).totals.cost_usd;
        expect(before).toBeGreaterThan(0n);
        await redis.restartable!.kill();
        const down = await call(c, 1);
        if (policy === 'fail-closed')
          expect(down).toMatchObject({ ok: false, status: 503, body: { code: 'GW_COUNTERS_UNAVAILABLE' } });
        else expect(down.ok).toBe(true);
        // Calls no budget covers are never held up.
        expect((await call(client(s.url, 'free'), 2)).ok).toBe(true);
        expect(await metrics()).toContain(`tokenledger_counters_up{policy="${policy}"} 0`);
        await redis.restartable!.start();
        // The next budgeted calls find Redis again (at most one probe a second while it is down).
        let back = false;
        for (let i = 0; i < 60 && !back; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const r = await call(c, 10 + i);
          back = r.ok && (await metrics()).includes(`tokenledger_counters_up{policy="${policy}"} 1`);
        }
        expect(back).toBe(true);
        // The restarted Redis came back empty; before it took calls again it was rebuilt from the ledger, so the
        // budget's counter holds at least the spend from before the outage, not just the calls since.
        const direct = new Redis(redis.url);
        const keys = await direct.keys('tl:b:cap:*');
        const counted = BigInt((await direct.get(keys[0]!)) ?? '0');
        direct.disconnect();
        expect(keys).toHaveLength(1);
        expect(counted * 1000n).toBeGreaterThanOrEqual(before);
      } finally {
        await s.close();
        await d.rm();
        await redis.stop();
      }
    }, 20_000);

  it('fail-open: a Redis that hung and came back holds exactly the spend of the calls it did not see', async () => {
    const redis = await startRedis({ own: true });
    const d = await configDir({
      counters: { store: 'redis', on_unavailable: 'fail-open' },
      budgets: { cap: { scope: { team: 'h' }, period: 'daily', limit_usd: 100, action: 'block' } },
    });
    const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
    const metrics = async () => (await fetch(`${s.url}/metrics`)).text();
    try {
      const c = client(s.url, 'h');
      expect((await call(c, 0)).ok).toBe(true);
      // Hung, not restarted: its keys survive, so the ledger rebuild sets none and the outage's calls must be added.
      redis.restartable!.pause();
      try {
        for (let i = 1; i <= 4; i++) expect((await call(c, i)).ok).toBe(true);
        expect(await metrics()).toContain('tokenledger_counters_up{policy="fail-open"} 0');
      } finally {
        redis.restartable!.resume();
      }
      let back = false;
      for (let i = 0; i < 60 && !back; i++) {
        await new Promise((r) => setTimeout(r, 100));
        expect((await call(c, 10 + i)).ok).toBe(true);
        back = (await metrics()).includes('tokenledger_counters_up{policy="fail-open"} 1');
      }
      expect(back).toBe(true);
      await s.wal.drain();
      const events = await s.store.events({ filters: [{ dimension: 'team', values: ['h'] }] });
      const spent = events.reduce((sum, e) => sum + picoToNanoUp(e.cost_usd!), 0n);
      const direct = new Redis(redis.url);
      try {
        const [key] = await direct.keys('tl:b:cap:*');
        // Settles run in the background: wait for the last one to land.
        let counted = -1n;
        for (let i = 0; i < 50 && counted !== spent; i++) {
          counted = BigInt((await direct.get(key!)) ?? '0');
          if (counted !== spent) await new Promise((r) => setTimeout(r, 20));
        }
        expect(counted).toBe(spent);
      } finally {
        direct.disconnect();
      }
    } finally {
      await s.close();
      await d.rm();
      await redis.stop();
    }
  }, 20_000);

  // A reserve that times out on a hung Redis was sent: Redis runs it when it answers again. Whatever it did, the
  // budget's counter must end up holding exactly the spend of the calls that happened.
  it('fail-closed: a call refused with 503 while Redis hung leaves no reservation behind once Redis answers', async () => {
    const redis = await startRedis({ own: true });
    const d = await configDir({
      counters: { store: 'redis', on_unavailable: 'fail-closed' },
      budgets: { cap: { scope: { team: 'fc' }, period: 'daily', limit_usd: 100, action: 'block' } },
    });
    const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
    try {
      const c = client(s.url, 'fc');
      expect((await call(c, 0)).ok).toBe(true);
      redis.restartable!.pause();
      try {
        expect(await call(c, 1)).toMatchObject({
          ok: false,
          status: 503,
          body: { code: 'GW_COUNTERS_UNAVAILABLE' },
        });
      } finally {
        redis.restartable!.resume();
      }
      await untilBack(s.url, 'fail-closed', () => call(c, 10));
      expect(await counterOf(redis.url, 'cap')).toBe(await ledgerSpend(s, 'fc'));
    } finally {
      await s.close();
      await d.rm();
      await redis.stop();
    }
  }, 20_000);

  it('fail-open: a call let through while Redis hung counts its whole cost, though its reserve was refused', async () => {
    const redis = await startRedis({ own: true });
    // One gpt-4o call (worst case ~$0.00104) fits; a second one's reserve is refused.
    const d = await configDir({
      counters: { store: 'redis', on_unavailable: 'fail-open' },
      budgets: { cap: { scope: { team: 'fo' }, period: 'daily', limit_usd: '0.0015', action: 'block' } },
    });
    const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
    try {
      const c = client(s.url, 'fo');
      expect((await call(c, 0)).ok).toBe(true);
      expect(await call(c, 2)).toMatchObject({ ok: false, status: 429 });
      redis.restartable!.pause();
      try {
        expect((await call(c, 1)).ok).toBe(true);
      } finally {
        redis.restartable!.resume();
      }
      await untilBack(s.url, 'fail-open', () => call(c, 10));
      expect(await counterOf(redis.url, 'cap')).toBe(await ledgerSpend(s, 'fo'));
    } finally {
      await s.close();
      await d.rm();
      await redis.stop();
    }
  }, 20_000);
  it('a Redis that restarted empty while the gateway was idle is rebuilt from the ledger before a call counts on it', async () => {
    const redis = await startRedis({ own: true });
    const d = await configDir({
      counters: { store: 'redis', on_unavailable: 'fail-closed' },
      budgets: { cap: { scope: { team: 'idle' }, period: 'daily', limit_usd: 100, action: 'block' } },
    });
    const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
    try {
      const c = client(s.url, 'idle');
      for (let i = 0; i < 3; i++) expect((await call(c, i)).ok).toBe(true);
      // Their settles (in the background) have landed: no counter call is in flight when Redis goes.
      expect(await counterOf(redis.url, 'cap')).toBe(await ledgerSpend(s, 'idle'));
      // No call while it is gone: the gateway only sees its connection drop and come back.
      await redis.restartable!.kill();
      await redis.restartable!.start();
      const direct = new Redis(redis.url);
      try {
        // Until the gateway has reconnected (ioredis retries within a second): its client has sent the ready check
        // (INFO), which it answers with 'ready' on receipt. A call before that would be refused unsent.
        const ready = async () => String(await direct.client('LIST')).includes('cmd=info');
        for (let i = 0; i < 100 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        direct.disconnect();
      }
      expect((await call(c, 3)).ok).toBe(true);
      expect(await counterOf(redis.url, 'cap')).toBe(await ledgerSpend(s, 'idle'));
    } finally {
      await s.close();
      await d.rm();
      await redis.stop();
    }
  }, 20_000);
});

describe('a call in flight while Redis restarts empty', () => {
  it('settles on the counter rebuilt from the ledger, which then holds the ledger spend (not one worst case less)', async () => {
    const redis = await startRedis({ own: true });
    const d = await configDir({
      counters: { store: 'redis', on_unavailable: 'fail-closed' },
      budgets: { cap: { scope: { team: 'flight' }, period: 'daily', limit_usd: 100, action: 'block' } },
    });
    const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
    try {
      const c = client(s.url, 'flight');
      for (let i = 0; i < 2; i++) expect((await call(c, i)).ok).toBe(true);
      // Reserved on this Redis; answered only after it has restarted empty and been rebuilt from the ledger.
      const inFlight = call(c, 2, 'gpt-4o', '[hold]');
      for (let i = 0; i < 100 && up.held() === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(up.held()).toBe(1);
      await redis.restartable!.kill();
      await redis.restartable!.start();
      // The next call waits for the gateway to reconnect and rebuild, then counts on the rebuilt counter.
      let next = await call(c, 3);
      for (let i = 0; i < 60 && !next.ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        next = await call(c, 4 + i);
      }
      expect(next.ok).toBe(true);
      up.release();
      expect((await inFlight).ok).toBe(true);
      expect(await counterOf(redis.url, 'cap')).toBe(await ledgerSpend(s, 'flight'));
    } finally {
      up.release();
      await s.close();
      await d.rm();
      await redis.stop();
    }
  }, 20_000);
});

/** Makes calls (at most one probe a second reaches a Redis that was down) until /metrics shows the counters up. */
async function untilBack(url: string, policy: string, probe: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await probe();
    if (
      (await (await fetch(`${url}/metrics`)).text()).includes(`tokenledger_counters_up{policy="${policy}"} 1`)
    )
      return;
  }
  throw new Error('the counters did not come back');
}

/** The team's spend in the ledger, in nano-dollars rounded up per call as the counters count it. */
async function ledgerSpend(s: Awaited<ReturnType<typeof serve>>, team: string): Promise<bigint> {
  await s.wal.drain();
  const events = await s.store.events({ filters: [{ dimension: 'team', values: [team] }] });
  return events.reduce((sum, e) => sum + (e.cost_usd === null ? 0n : picoToNanoUp(e.cost_usd)), 0n);
}

/** The budget's counter in Redis, once the background settles have landed (it stops moving). */
async function counterOf(url: string, budget: string): Promise<bigint> {
  const direct = new Redis(url);
  try {
    let last: bigint | null = null;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const [key] = await direct.keys(`tl:b:${budget}:*`);
      const v = key === undefined ? 0n : BigInt((await direct.get(key)) ?? '0');
      if (v === last) return v;
      last = v;
    }
    return last ?? 0n;
  } finally {
    direct.disconnect();
  }
}

describe('a client that leaves while its call waits for budget admission', () => {
  it('is not sent upstream: nothing is spent for an answer nobody reads', async () => {
    const redis = await startRedis({ own: true });
    const d = await configDir({
      counters: { store: 'redis', on_unavailable: 'fail-open', timeout_ms: 1500 },
      budgets: { cap: { scope: { team: 'gone' }, period: 'daily', limit_usd: 100, action: 'block' } },
    });
    const s = await serve(d, up, { TOKENLEDGER_REDIS_URL: redis.url });
    try {
      const c = client(s.url, 'gone');
      expect((await call(c, 0)).ok).toBe(true);
      const sent = up.models.length;
      // A hung Redis holds the admission for the command timeout; the client gives up well before it.
      redis.restartable!.pause();
      try {
        const leaving = new AbortController();
        const pending = c.chat.completions.create(
          { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'anyone there?' }] },
          { signal: leaving.signal },
        );
        setTimeout(() => leaving.abort(), 300);
        await expect(pending).rejects.toThrow();
        // Past the command timeout: fail-open has let the call through by now, if it goes anywhere.
        await new Promise((r) => setTimeout(r, 2500));
      } finally {
        redis.restartable!.resume();
      }
      expect(up.models.length).toBe(sent);
    } finally {
      await s.close();
      await d.rm();
      await redis.stop();
    }
  }, 20_000);
});
