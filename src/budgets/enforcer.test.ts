import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyAttribution } from '../ledger/event.js';
import { eventId } from '../ledger/event-id.js';
import { loadPricer } from '../pricing/load.js';
import type { Pricer } from '../pricing/pricer.js';
import { unpricedEvent } from '../pricing/unpriced-event.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { AlertInput } from './alerts/alert.js';
import { type Budget, parsePeriod } from './budget.js';
import { BudgetExceededError } from './budget-exceeded.js';
import { MemoryCounters } from './counters/memory.js';
import { type AdmitCall, Enforcer } from './enforcer.js';
import { budgetWindow } from './period.js';
import { countPromptTokens as countTokens } from './prompt-tokens.js';
import { compileRateLimits, type RateLimitRuleInput } from './rate-limit.js';
import { RateLimitedError } from './rate-limited.js';

let pricer: Pricer;
beforeAll(async () => {
  pricer = await loadPricer({ cwd: tmpdir(), env: {} });
});

const NOW = Date.parse('2026-05-14T15:30:00Z');
/** gpt-4o, "hello world", max_tokens 100: 9 input + 100 output tokens = $0.0010225 worst case (worst-case.test.ts). */
const WORST = 1_022_500n;

function budget(over: Omit<Partial<Budget>, 'period'> & { period?: Budget['period'] | string }): Budget {
  const period =
    typeof over.period === 'string' ? parsePeriod(over.period)! : (over.period ?? { kind: 'monthly' });
  return {
    id: 'b1',
    name: null,
    scope: { team: 'payments' },
    tz: 'UTC',
    limit_usd: '0.0030675',
    thresholds: [50, 80, 100],
    action: 'block',
    downgrade_to: null,
    origin: 'config',
    created_at: '2026-01-01T00:00:00Z',
    ...over,
    period,
  };
}

function call(over: Partial<AdmitCall> = {}): AdmitCall {
  const json = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hello world' }] };
  return {
    attribution: { ...emptyAttribution(), team: 'payments' },
    provider: 'openai',
    model: 'gpt-4o',
    json,
    inputText: () => 'hello world',
    mayWriteCache: false,
    ts: NOW * 1000,
    ...over,
  };
}

function setup(budgets: Budget[], rules: RateLimitRuleInput[] = [], now: () => number = () => NOW) {
  const counters = new MemoryCounters(now);
  const compiled = compileRateLimits(rules);
  const alerts: AlertInput[] = [];
  const enforcer = new Enforcer({
    budgets: () => budgets,
    counters,
    pricer,
    now,
    alerts: { raise: (a) => alerts.push(a) },
    countTokens,
    rateLimits: () => compiled,
  });
  const spend = async (b: Budget) => (await counters.read([budgetWindow(b, now()).keys]))[0]!;
  return { counters, alerts, enforcer, spend };
}

const USAGE = {
  requests: 1,
  input_tokens: 9,
  cache_read_tokens: 0,
  cache_write_5m_tokens: 0,
  cache_write_1h_tokens: 0,
  output_tokens: 20,
  reasoning_tokens: 0,
  web_search_requests: 0,
  input_audio_tokens: 0,
  output_audio_tokens: 0,
  input_image_tokens: 0,
  output_image_tokens: 0,
  audio_ms: 0,
};
const cost = (nano: bigint | null) => ({ ...USAGE, cost_usd: nano === null ? null : nano * 1000n });

describe('Enforcer: block budgets', () => {
  it('concurrent admissions never reserve past the limit; the rest get a 429 naming the budget', async () => {
    const b = budget({});
    const { enforcer, spend, alerts } = setup([b]);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => enforcer.admit(call())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    expect(refused).toHaveLength(2);
    const e = refused[0] as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect(e.code).toBe('GW_BUDGET_EXCEEDED');
    expect(e.status).toBe(429);
    // The month ends 2026-06-01T00:00Z: 17 days 8.5 hours away.
    expect(e.retryAfterSeconds).toBe(17 * 86400 + 8.5 * 3600);
    expect(e.fields().budget).toEqual({
      id: 'b1',
      name: null,
      scope: { team: 'payments' },
      period: 'monthly',
      action: 'block',
      spend_usd: '0.003067500',
      limit_usd: '0.0030675',
      resets_at: '2026-06-01T00:00:00.000Z',
    });
    // People read the message and the alert; the JSON fields above keep the exact amounts.
    expect(e.message).toContain('has $0.003068 of $0.003068 spent or reserved');
    expect(await spend(b)).toBe(3n * WORST);
    expect(alerts.filter((a) => a.kind === 'budget_blocked')).toHaveLength(1);
    expect(alerts.find((a) => a.kind === 'budget_blocked')?.title).toBe(
      'Budget b1 (team=payments monthly) is blocking calls ($0.003068 of $0.003068)',
    );
  });

  it('settle replaces the reservation with the real cost; release gives it back', async () => {
    const b = budget({});
    const { enforcer, spend } = setup([b]);
    const r1 = await enforcer.admit(call());
    const r2 = await enforcer.admit(call());
    await enforcer.settle(r1, cost(400_000n));
    expect(await spend(b)).toBe(400_000n + WORST);
    await enforcer.release(r2);
    await enforcer.release(r2);
    await enforcer.settle(r1, cost(1n));
    expect(await spend(b)).toBe(400_000n);
    // An unpriced event costs the budget nothing.
    const r3 = await enforcer.admit(call());
    await enforcer.settle(r3, cost(null));
    expect(await spend(b)).toBe(400_000n);
  });

  it('calls outside the scope pass untouched', async () => {
    const b = budget({});
    const { enforcer, spend } = setup([b]);
    const r = await enforcer.admit(call({ attribution: { ...emptyAttribution(), team: 'search' } }));
    expect(r.held).toHaveLength(0);
    expect(r.model).toBe('gpt-4o');
    expect(await spend(b)).toBe(0n);
  });

  it('a full rolling budget says its oldest hour leaves at the next hour, not at an hour a window ago', async () => {
    const b = budget({ period: 'rolling:7d' });
    const { enforcer } = setup([b]);
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => enforcer.admit(call())));
    const e = results.find((r) => r.status === 'rejected')?.reason as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetExceededError);
    // 15:30: the window is the 168 hours up to 16:00; at 16:00 its oldest hour (from 2026-05-07T16:00) leaves it.
    expect(e.fields().budget).toMatchObject({ resets_at: '2026-05-14T16:00:00.000Z' });
    expect(e.retryAfterSeconds).toBe(1800);
    expect(e.message).toContain('it resets at 2026-05-14T16:00:00.000Z');
  });

  it("a virtual key's budget_usd is a monthly block budget key:<id>", async () => {
    const { enforcer } = setup([]);
    const key = { id: 'vk_abc', budget_usd: '0.002' };
    const attribution = { ...emptyAttribution(), api_key_id: 'vk_abc' };
    await enforcer.admit(call({ key, attribution }));
    const e = await enforcer.admit(call({ key, attribution })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect((e as BudgetExceededError).budget.id).toBe('key:vk_abc');
  });
});

describe('Enforcer: alert and downgrade budgets', () => {
  it('alert budgets reserve nothing, count real spend and raise each threshold once per window', async () => {
    const b = budget({ action: 'alert', limit_usd: '0.001' });
    const { enforcer, spend, alerts } = setup([b]);
    const r1 = await enforcer.admit(call());
    expect(await spend(b)).toBe(0n);
    await enforcer.settle(r1, cost(600_000n));
    expect(alerts.map((a) => a.dedup_key)).toEqual(['budget:b1:2026-05-01T00:00:00.000Z:50']);
    const r2 = await enforcer.admit(call());
    await enforcer.settle(r2, cost(600_000n));
    expect(alerts.map((a) => a.data?.threshold)).toEqual([50, 80, 100]);
    expect(alerts[2]).toMatchObject({ kind: 'budget_threshold', severity: 'critical', budget_id: 'b1' });
    expect(alerts[2]!.data?.spend_usd).toBe('0.001200000');
    expect(alerts[2]!.title).toBe('Budget b1 (team=payments monthly) reached 100% ($0.001200 of $0.001000)');
    const r3 = await enforcer.admit(call());
    await enforcer.settle(r3, cost(600_000n));
    expect(alerts).toHaveLength(3);
  });

  it('a rolling budget raises each threshold and its first refusal once, not again each hour it stays over', async () => {
    let now = NOW;
    const alert = budget({ id: 'ra', action: 'alert', limit_usd: '0.001', period: 'rolling:7d' });
    const block = budget({ id: 'rb', limit_usd: '0.0015', period: 'rolling:7d' });
    const { enforcer, alerts } = setup([alert, block], [], () => now);
    await enforcer.settle(await enforcer.admit(call()), cost(1_200_000n));
    await expect(enforcer.admit(call())).rejects.toBeInstanceOf(BudgetExceededError);
    const first = alerts.map((a) => `${a.budget_id} ${a.kind} ${a.data?.threshold}`);
    expect(first).toEqual([
      'ra budget_threshold 50',
      'ra budget_threshold 80',
      'ra budget_threshold 100',
      'rb budget_threshold 50',
      'rb budget_threshold 80',
      'rb budget_blocked null',
    ]);
    // Hours later the window has moved on but still holds that spend: nothing new to say.
    for (let h = 1; h <= 30; h++) {
      now = NOW + h * 3_600_000;
      await enforcer.settle(await enforcer.admit(call({ model: 'gpt-4o-mini' })), cost(1_000n));
      await expect(enforcer.admit(call())).rejects.toBeInstanceOf(BudgetExceededError);
    }
    expect(alerts).toHaveLength(first.length);
  });

  it('a full downgrade budget sends the call to the cheaper model and says so', async () => {
    const b = budget({ action: 'downgrade', downgrade_to: 'gpt-4o-mini', limit_usd: '0.0015' });
    const { enforcer, spend } = setup([b]);
    const first = await enforcer.admit(call());
    expect(first.model).toBe('gpt-4o');
    const second = await enforcer.admit(call());
    expect(second.model).toBe('gpt-4o-mini');
    expect(second.headers['x-tokenledger-downgraded']).toBe('gpt-4o -> gpt-4o-mini; budget=b1');
    // The cheaper call still counts against the budget once settled, and never blocks.
    await enforcer.settle(second, cost(10_000n));
    expect(await spend(b)).toBe(WORST + 10_000n);
  });

  it('a block budget still blocks a downgraded call', async () => {
    const down = budget({ id: 'd', action: 'downgrade', downgrade_to: 'gpt-4o-mini', limit_usd: '0.0015' });
    // Room for one gpt-4o worst case plus $0.0000075: less than a gpt-4o-mini worst case ($0.00006135).
    const block = budget({ id: 'k', scope: {}, limit_usd: '0.00103' });
    const { enforcer } = setup([down, block]);
    await enforcer.admit(call());
    const e = await enforcer.admit(call()).catch((x: unknown) => x);
    expect((e as BudgetExceededError).budget.id).toBe('k');
  });
});

describe('Enforcer: rate limits in the same reserve', () => {
  it('rpm refuses the third call in a minute with 429 GW_RATE_LIMITED; headers show what is left', async () => {
    const { enforcer } = setup([], [{ per: 'team', rpm: 2, tpm: 1000 }]);
    const r1 = await enforcer.admit(call());
    // 109 worst-case tokens of 1000 reserved, one of two requests.
    expect(r1.headers).toMatchObject({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-remaining-tokens': '891',
      'x-ratelimit-reset-requests': '60s',
    });
    await enforcer.settle(r1, cost(1n));
    const r2 = await enforcer.admit(call());
    // r1 was settled at its real 29 tokens: 1000 - 29 - 109.
    expect(r2.headers['x-ratelimit-remaining-tokens']).toBe('862');
    const e = await enforcer.admit(call()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as RateLimitedError).code).toBe('GW_RATE_LIMITED');
  });

  it('a budget refusal adds nothing to the rate counters (all or nothing)', async () => {
    const { enforcer } = setup([budget({ limit_usd: '0.0011' })], [{ per: 'team', rpm: 2 }]);
    await enforcer.admit(call());
    await expect(enforcer.admit(call())).rejects.toBeInstanceOf(BudgetExceededError);
    const r = await enforcer.admit(
      call({
        attribution: { ...emptyAttribution(), team: 'payments', user: 'x' },
        json: { ...call().json, max_tokens: 1 },
      }),
    );
    expect(r.headers['x-ratelimit-remaining-requests']).toBe('0');
  });
});

describe('Enforcer.rebuild', () => {
  it('seeds calendar and rolling counters from the ledger (real DuckDB)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-enf-'));
    const store = await createDuckDbStore(join(dir, 'l.duckdb'));
    try {
      const at = (iso: string, id: string, team: string) =>
        pricer.price(
          unpricedEvent({
            event_id: eventId('test', id),
            ts: Date.parse(iso) * 1000,
            team,
            provider: 'openai',
            model: 'gpt-4o',
            output_tokens: 1000,
          }),
        );
      await store.append([
        at('2026-05-14T15:10:00Z', 'a', 'payments'),
        at('2026-05-14T09:10:00Z', 'b', 'payments'),
        at('2026-05-02T09:10:00Z', 'c', 'payments'),
        at('2026-04-30T09:10:00Z', 'd', 'payments'),
        at('2026-05-14T15:10:00Z', 'e', 'search'),
      ]);
      const monthly = budget({ id: 'm', limit_usd: '100' });
      const rolling = budget({ id: 'r', period: 'rolling:1d', limit_usd: '100' });
      const { enforcer, spend } = setup([monthly, rolling]);
      expect(await enforcer.rebuild(store)).toBe(3);
      // 1000 output tokens of gpt-4o = $0.01 = 10,000,000 nano each.
      expect(await spend(monthly)).toBe(30_000_000n);
      expect(await spend(rolling)).toBe(20_000_000n);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Enforcer: threshold alerts from the reservation totals', () => {
  it('a block budget raises its thresholds from what reserve returned, without reading the counters again', async () => {
    const b = budget({});
    let reads = 0;
    const counters = new (class extends MemoryCounters {
      override async read(keys: readonly (readonly string[])[]): Promise<bigint[]> {
        reads++;
        return super.read(keys);
      }
    })(() => NOW);
    const alerts: AlertInput[] = [];
    const enforcer = new Enforcer({
      budgets: () => [b],
      counters,
      pricer,
      now: () => NOW,
      alerts: { raise: (a) => alerts.push(a) },
      countTokens,
    });
    // 1.6 of the 3.0675 milli-dollar limit: past 50%, short of 80%.
    await enforcer.settle(await enforcer.admit(call()), cost(1_600_000n));
    expect(alerts.map((a) => a.dedup_key)).toEqual(['budget:b1:2026-05-01T00:00:00.000Z:50']);
    expect(alerts[0]!.data?.spend_usd).toBe('0.001600000');
    // 0.1 more (1.7) crosses nothing new; 0.8 more (2.5) crosses 80%.
    await enforcer.settle(await enforcer.admit(call()), cost(100_000n));
    expect(alerts).toHaveLength(1);
    await enforcer.settle(await enforcer.admit(call()), cost(800_000n));
    expect(alerts.map((a) => a.data?.threshold)).toEqual([50, 80]);
    expect(alerts[1]!.data?.spend_usd).toBe('0.002500000');
    expect(reads).toBe(0);
    expect((await counters.read([budgetWindow(b, NOW).keys]))[0]).toBe(2_500_000n);
  });
});
