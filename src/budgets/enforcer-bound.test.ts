import { tmpdir } from 'node:os';
import { countTokens as o200k } from 'gpt-tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyAttribution } from '../ledger/event.js';
import { loadPricer } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import { BOUND_ROOM } from './admission.js';
import type { Budget } from './budget.js';
import { createGuardedCounters } from './counters/guarded.js';
import { MemoryCounters } from './counters/memory.js';
import { type AdmitCall, Enforcer, type Reservation } from './enforcer.js';
import { budgetWindow } from './period.js';
import { compileRateLimits, type RateLimitRuleInput } from './rate-limit.js';

/**
 * Admission with in-process counters: far from every limit a call is reserved at the byte bound on its input (no
 * tokenizer, no promise); within BOUND_ROOM calls of a limit it is counted exactly, as before.
 */
let pricer: Pricer;
beforeAll(async () => {
  pricer = await loadPricer({ cwd: tmpdir(), env: {} });
});

const NOW = Date.parse('2026-05-14T15:30:00Z');
/** gpt-4o, "hello world", max_tokens 100. Exact: 2 + 7 framing = 9 input tokens; 9 × 2.5 + 100 × 10 µ$. */
const WORST = 1_022_500n;
/** At the bound: 11 bytes + 7 framing = 18 input tokens; 18 × 2.5 + 100 × 10 µ$. */
const BOUNDED = 1_045_000n;

function budget(limit_usd: string): Budget {
  return {
    id: 'b1',
    name: null,
    scope: { team: 'payments' },
    period: { kind: 'monthly' },
    tz: 'UTC',
    limit_usd,
    thresholds: [50, 80, 100],
    action: 'block',
    downgrade_to: null,
    origin: 'config',
    created_at: '2026-01-01T00:00:00Z',
  };
}

const call = (): AdmitCall => ({
  attribution: { ...emptyAttribution(), team: 'payments' },
  provider: 'openai',
  model: 'gpt-4o',
  json: { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hello world' }] },
  inputText: () => 'hello world',
  mayWriteCache: false,
  ts: NOW * 1000,
});

const event = (nano: bigint) => ({
  requests: 1,
  input_tokens: 9,
  cache_read_tokens: 0,
  cache_write_5m_tokens: 0,
  cache_write_1h_tokens: 0,
  output_tokens: 100,
  reasoning_tokens: 0,
  web_search_requests: 0,
  input_audio_tokens: 0,
  output_audio_tokens: 0,
  input_image_tokens: 0,
  output_image_tokens: 0,
  audio_ms: 0,
  cost_usd: nano * 1000n,
});

function setup(budgets: Budget[], rules: RateLimitRuleInput[] = [], loaded = true) {
  const counters = new MemoryCounters(() => NOW);
  const tokenized: string[] = [];
  const count = (t: string) => {
    tokenized.push(t);
    return loaded ? o200k(t) : Promise.resolve(o200k(t));
  };
  const compiled = compileRateLimits(rules);
  const enforcer = new Enforcer({
    budgets: () => budgets,
    counters,
    pricer,
    now: () => NOW,
    countTokens: count,
    rateLimits: () => compiled,
  });
  const spend = async (b: Budget) => (await counters.read([budgetWindow(b, NOW).keys]))[0]!;
  return { enforcer, counters, tokenized, spend };
}

function now(r: Reservation | Promise<Reservation>): Reservation {
  expect(r).not.toBeInstanceOf(Promise);
  return r as Reservation;
}

describe('Enforcer with in-process counters: the byte bound far from limits, exact counts near them', () => {
  it('far from the limit: admitted in the same tick at the bound, without the tokenizer; settled at once', async () => {
    const b = budget('10');
    const { enforcer, tokenized, spend } = setup([b]);
    const r = now(enforcer.admitNow(call()));
    expect(tokenized).toEqual([]);
    expect(r.held[0]!.reserved).toBe(BOUNDED);
    expect(await spend(b)).toBe(BOUNDED);
    expect(enforcer.settleNow(r, event(WORST - 7n))).toBeUndefined();
    expect(await spend(b)).toBe(WORST - 7n);
  });

  it('the bound is used only while BOUND_ROOM such reservations fit; then the input is counted exactly', async () => {
    // Room for exactly BOUND_ROOM bounded calls: the first one passes at the bound, the next needs an exact count.
    const b = budget(((BOUND_ROOM * BOUNDED) / 1_000n).toString().replace(/(\d{6})$/, '.$1'));
    const { enforcer, tokenized, spend } = setup([b]);
    expect(now(enforcer.admitNow(call())).held[0]!.reserved).toBe(BOUNDED);
    expect(tokenized).toEqual([]);
    const second = now(enforcer.admitNow(call()));
    expect(tokenized).toEqual(['hello world']);
    expect(second.held[0]!.reserved).toBe(WORST);
    expect(await spend(b)).toBe(BOUNDED + WORST);
  });

  it('a budget fitting few calls is filled exactly to its limit, as with the tokenizer alone', async () => {
    const b = budget('0.0030675');
    const { enforcer, spend } = setup([b]);
    for (let i = 0; i < 3; i++) expect(now(enforcer.admitNow(call())).held[0]!.reserved).toBe(WORST);
    expect(() => enforcer.admitNow(call())).toThrow(/budget/);
    expect(await spend(b)).toBe(3n * WORST);
  });

  it('tokens per minute: the bound far below tpm, the exact count near it', () => {
    const wide = setup([], [{ scope: { team: 'payments' }, tpm: 1_000_000 }]);
    const r1 = now(wide.enforcer.admitNow(call()));
    expect(wide.tokenized).toEqual([]);
    expect(r1.headers['x-ratelimit-remaining-tokens']).toBe(String(1_000_000 - 118));
    const tight = setup([], [{ scope: { team: 'payments' }, tpm: 5_000 }]);
    const r2 = now(tight.enforcer.admitNow(call()));
    expect(tight.tokenized).toEqual(['hello world']);
    expect(r2.headers['x-ratelimit-remaining-tokens']).toBe(String(5_000 - 109));
  });

  it('asks for the tokenizer (once) when fewer than 2 × BOUND_ROOM bounded calls are left under a limit', () => {
    const warmed: number[] = [];
    const make = (limitUsd: string) =>
      new Enforcer({
        budgets: () => [budget(limitUsd)],
        counters: new MemoryCounters(() => NOW),
        pricer,
        now: () => NOW,
        countTokens: (t) => o200k(t),
        warmTokenizer: () => warmed.push(1),
      });
    const far = make('10'); // ~9,500 bounded calls of room
    now(far.admitNow(call()));
    expect(warmed).toHaveLength(0);
    const near = make('0.15675'); // 150 bounded calls
    now(near.admitNow(call()));
    now(near.admitNow(call()));
    expect(warmed).toHaveLength(1);
  });

  it('waits (a promise) only when it must: tokenizer still loading, or counters behind a guard', async () => {
    const loading = setup([budget('0.0030675')], [], false);
    const p = loading.enforcer.admitNow(call());
    expect(p).toBeInstanceOf(Promise);
    expect((await p).held[0]!.reserved).toBe(WORST);
    const guarded = new Enforcer({
      budgets: () => [budget('10')],
      counters: createGuardedCounters(new MemoryCounters(() => NOW), {
        policy: 'fail-closed',
        log: () => {},
      }),
      pricer,
      now: () => NOW,
      countTokens: (t) => o200k(t),
    });
    const q = guarded.admitNow(call());
    expect(q).toBeInstanceOf(Promise);
    // Counters that may be remote get the exact count: no bound, so no second round trip when it does not fit.
    expect((await q).held[0]!.reserved).toBe(WORST);
  });
});
