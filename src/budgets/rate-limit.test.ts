import { describe, expect, it } from 'vitest';
import { startRedis } from '../../test/helpers/redis.js';
import { type Attribution, emptyAttribution } from '../ledger/event.js';
import { MemoryCounters } from './counters/memory.js';
import { createRedisCounters } from './counters/redis.js';
import type { CallScope } from './match.js';
import {
  compileRateLimits,
  createRateLimiter,
  type RateLimitRuleInput,
  rateClaims,
  rateLimitsSchema,
  rateVerdict,
} from './rate-limit.js';
import { RateLimitedError } from './rate-limited.js';

const call = (a: Partial<Attribution>, model = 'gpt-4o-mini'): CallScope => ({
  attribution: { ...emptyAttribution(), ...a },
  provider: 'openai',
  model,
  canonicalModel: null,
});

// 12.5 s into a minute: the window resets in 47.5 s, shown as "48s".
const T0 = Date.UTC(2026, 10, 3, 9, 15, 12, 500);

function setup(rules: RateLimitRuleInput[]) {
  let now = T0;
  const counters = new MemoryCounters(() => now);
  const limiter = createRateLimiter(compileRateLimits(rules), counters, () => now);
  return { limiter, counters, advance: (ms: number) => (now += ms) };
}

async function refused(p: Promise<unknown>): Promise<RateLimitedError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RateLimitedError);
  return e as RateLimitedError;
}

describe('rate limit config', () => {
  it('parses rules and explains what is wrong', () => {
    expect(rateLimitsSchema.parse([{ per: 'api_key_id', rpm: 60 }])).toEqual([
      { scope: {}, per: 'api_key_id', rpm: 60 },
    ]);
    const bad = rateLimitsSchema.safeParse([
      { scope: { api_key_id: '*' }, rpm: 1 },
      { scope: { team: 'x' } },
      { scope: { colour: 'red' }, tpm: 5 },
      { rpm: 1.5 },
      { rpm: 1, burst: 3 },
    ]);
    expect(bad.success).toBe(false);
    const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toContainEqual(
      expect.stringMatching(/^0\.scope\.api_key_id: "\*" is not a wildcard: write per: api_key_id/),
    );
    expect(issues).toContainEqual(expect.stringMatching(/^1: a rate limit needs rpm/));
    expect(issues).toContainEqual(expect.stringMatching(/^2\.scope\.colour: expected a scope dimension/));
    expect(issues.some((i) => i.startsWith('3.rpm'))).toBe(true);
    expect(issues.some((i) => i.startsWith('4') && /burst|unrecognized/i.test(i))).toBe(true);
  });

  it('names a rule by its scope and per, whatever the key order or limits', () => {
    const [a, b, c, d] = compileRateLimits([
      { scope: { team: 't', user: 'u' }, rpm: 1 },
      { scope: { user: 'u', team: 't' }, tpm: 9 },
      { scope: { team: 't', user: 'u' }, per: 'agent', rpm: 1 },
      { scope: { team: 't' }, rpm: 1 },
    ]);
    expect(a!.id).toMatch(/^rl_[0-9a-f]{10}$/);
    expect(b!.id).toBe(a!.id);
    expect(new Set([a!.id, c!.id, d!.id]).size).toBe(3);
  });
});

describe('RateLimiter', () => {
  it('counts requests per minute per scope, with OpenAI-style headers, and resets with the minute', async () => {
    const { limiter, advance } = setup([{ scope: { team: 'payments' }, rpm: 3 }]);
    const pay = call({ team: 'payments' });
    for (const left of [2, 1, 0])
      expect((await limiter.check(pay, 10)).headers).toEqual({
        'x-ratelimit-limit-requests': '3',
        'x-ratelimit-remaining-requests': String(left),
        'x-ratelimit-reset-requests': '48s',
      });
    const e = await refused(limiter.check(pay, 10));
    expect(e.code).toBe('GW_RATE_LIMITED');
    expect(e.status).toBe(429);
    expect(e.retryAfterSeconds).toBe(48);
    expect(e.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(e.message).toMatch(/team=payments\) allows 3 requests per minute and 3 are used/);
    expect(e.fields().rate_limit).toMatchObject({ unit: 'requests', limit: 3, used: 3 });
    expect((await limiter.check(call({ team: 'search' }), 10)).headers).toEqual({});
    advance(47_500);
    expect((await limiter.check(pay, 10)).headers['x-ratelimit-remaining-requests']).toBe('2');
  });

  it('`per` gives each distinct value its own counter, and skips calls without one', async () => {
    const { limiter } = setup([{ per: 'api_key_id', rpm: 1 }]);
    await limiter.check(call({ api_key_id: 'vk_a' }), 0);
    await limiter.check(call({ api_key_id: 'vk_b' }), 0);
    const e = await refused(limiter.check(call({ api_key_id: 'vk_a' }), 0));
    expect(e.message).toMatch(/api_key_id=vk_a/);
    for (let i = 0; i < 5; i++) expect((await limiter.check(call({}), 0)).headers).toEqual({});
  });

  it('reserves estimated tokens and settles them to the real count', async () => {
    const { limiter } = setup([{ scope: { user: 'ann' }, tpm: 1000 }]);
    const ann = call({ user: 'ann' });
    const t1 = await limiter.check(ann, 600);
    expect(t1.headers['x-ratelimit-remaining-tokens']).toBe('400');
    const e = await refused(limiter.check(ann, 600));
    expect([e.unit, e.used, e.limit]).toEqual(['tokens', 600, 1000]);
    await limiter.settle(t1, 300);
    const t2 = await limiter.check(ann, 600);
    expect(t2.headers['x-ratelimit-remaining-tokens']).toBe('100');
    await limiter.settle(t2, 0); // failed upstream: gives the estimate back
    expect((await limiter.check(ann, 700)).headers['x-ratelimit-remaining-tokens']).toBe('0');
  });

  it('is all or nothing across rules, and shows the tightest rule in the headers', async () => {
    const { limiter } = setup([{ rpm: 100 }, { scope: { team: 'ops' }, rpm: 5, tpm: 50 }]);
    const ops = call({ team: 'ops' });
    expect((await limiter.check(ops, 40)).headers).toMatchObject({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-remaining-tokens': '10',
    });
    await refused(limiter.check(ops, 40)); // tokens: refused, and the request is not counted anywhere
    expect((await limiter.check(call({}), 0)).headers['x-ratelimit-remaining-requests']).toBe('98');
  });

  it('reads a combined reserve (budget claims first) and ignores failures that are not its own', () => {
    const rules = compileRateLimits([{ rpm: 2 }]);
    const plan = rateClaims(rules, call({}), 0, T0);
    expect(plan.claims).toHaveLength(1);
    expect(plan.claims[0]!.keys[0]).toMatch(/^tl:rl:rl_[0-9a-f]{10}:-:r:\d+$/);
    expect(rateVerdict(plan, { ok: false, index: 0, current: 5n }, 1)).toBeNull();
    expect(rateVerdict(plan, { ok: true, totals: [123n, 1n] }, 1)).toMatchObject({
      ok: true,
      headers: { 'x-ratelimit-remaining-requests': '1' },
    });
    const v = rateVerdict(plan, { ok: false, index: 1, current: 2n }, 1);
    expect(v?.ok).toBe(false);
  });

  it('holds across two instances sharing Redis', async () => {
    const server = await startRedis();
    const a = createRedisCounters({ url: server.url });
    const b = createRedisCounters({ url: server.url });
    try {
      await Promise.all([a.ready(), b.ready()]);
      // A team name of its own, so a shared CI Redis or a rerun inside the same minute starts from zero.
      const team = `t${process.pid}-${Date.now()}`;
      const rules = compileRateLimits([{ scope: { team }, rpm: 50 }]);
      // One clock for both, so the burst cannot straddle a minute boundary.
      const now = Date.now();
      const limiters = [createRateLimiter(rules, a, () => now), createRateLimiter(rules, b, () => now)];
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => limiters[i % 2]!.check(call({ team }), 1)),
      );
      const passed = results.filter((r) => r.status === 'fulfilled').length;
      expect(passed).toBe(50);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(RateLimitedError);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await server.stop();
    }
  });
});
