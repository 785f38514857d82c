import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Query } from '../store/query.js';
import type { Store } from '../store/store.js';
import { CARDS, DAY, makeEvent, randomEvents, T0 } from '../store/testing/event-factory.js';
import { cacheSavings, costPerMillion, tokensOf } from './economics.js';
import { METRICS_DIMENSIONS, metricsBy } from './group-metrics.js';

// Two calls of claude-sonnet-4-5 for team platform at $3 input, $0.30 cache read, $15 output per 1M tokens: each
// 1,000 uncached input, 20,000 cache-read and 300 output tokens, $0.0135. One call of a model with no price for web.
let store: Store;
beforeAll(async () => {
  store = await createDuckDbStore(':memory:');
  const usage = { input_tokens: 1000, cache_read_tokens: 20_000, output_tokens: 300 };
  await store.append([
    makeEvent(1, { ...usage, rates: CARDS.sonnet }),
    makeEvent(2, { ...usage, rates: CARDS.sonnet }),
    makeEvent(3, { ...usage, team: 'web', model: 'mystery-7b', rates: null }),
  ]);
});
afterAll(() => store.close());

const byTeam = async () =>
  metricsBy(await store.query({ dimensions: ['team', ...METRICS_DIMENSIONS] }), ['team']);

describe('metricsBy', () => {
  it('gives each group its cost per 1M priced tokens, cost per call, cache hit rate and savings', async () => {
    const { groups } = await byTeam();
    expect(groups[0]).toEqual({
      dims: { team: 'platform' },
      cost_usd: 27_000_000_000n,
      tokens: 42_600,
      priced_tokens: 42_600,
      requests: 2,
      priced_requests: 2,
      events: 2,
      unpriced_events: 0,
      // $0.027 over 42,600 tokens, truncated at the pico-dollar.
      cost_per_1m_tokens_usd: 633_802_816_901n,
      cost_per_request_usd: 13_500_000_000n,
      cache_hit_rate: 40_000 / 42_000,
      // 40,000 cache reads at $3 instead of $0.30 per 1M: $0.108.
      cache_savings_usd: 108_000_000_000n,
      // No event of the ledger carries energy.
      energy_j: null,
      tokens_per_joule: null,
    });
  });

  it('never prices an unpriced group at $0 a token: its tokens count, its rate and savings do not exist', async () => {
    const { groups, total } = await byTeam();
    expect(groups[1]).toMatchObject({
      dims: { team: 'web' },
      cost_usd: 0n,
      tokens: 21_300,
      priced_tokens: 0,
      unpriced_events: 1,
      cost_per_1m_tokens_usd: 0n,
      cache_savings_usd: 0n,
    });
    // The whole: the unpriced call's tokens do not dilute the rate.
    expect(total).toMatchObject({
      tokens: 63_900,
      priced_tokens: 42_600,
      cost_per_1m_tokens_usd: 633_802_816_901n,
    });
    expect(total.cache_hit_rate).toBeCloseTo(60_000 / 63_000, 12);
  });

  it('groups by nothing into one row, and by model without asking for it twice', async () => {
    expect((await store.query({ dimensions: [...METRICS_DIMENSIONS] })).rows).toHaveLength(2);
    const m = metricsBy(await store.query({ dimensions: ['model', 'cost_source'] }), ['model']);
    expect(m.groups.map((g) => [g.dims.model, g.requests])).toEqual([
      ['claude-sonnet-4-5', 2],
      ['mystery-7b', 1],
    ]);
    expect(metricsBy(await store.query({ dimensions: [...METRICS_DIMENSIONS] }), []).groups).toHaveLength(1);
  });
});

describe('metricsBy and /api/summary', () => {
  it('give the same cost per 1M tokens and cache savings over the same events', async () => {
    // Varied events: several models, one unpriced, given provider costs on a few, tokens from 0 to millions.
    const varied = await createDuckDbStore(':memory:');
    await varied.append(randomEvents(3000));
    // The summary's reading (src/server/api/summary.ts): totals less the unpriced tokens, savings by model.
    const byModel = await varied.query({ dimensions: ['model', 'cost_source'] });
    const summaryRate = costPerMillion(
      byModel.totals.cost_usd,
      tokensOf(byModel.totals) - byModel.unpriced.tokens,
    );
    const { total } = metricsBy(byModel, []);
    expect(byModel.unpriced.events).toBeGreaterThan(0);
    expect(total.cost_per_1m_tokens_usd).toBe(summaryRate);
    expect(total.cache_savings_usd).toBe(cacheSavings(byModel));
    expect(total.cache_savings_usd).toBeGreaterThan(0n);
    await varied.close();
  });
});

describe('metricsBy with a time bucket', () => {
  it('gives each bucket its groups, buckets in order, and the trend of each rate', async () => {
    const days = await createDuckDbStore(':memory:');
    const usage = { input_tokens: 1000, output_tokens: 300, rates: CARDS.sonnet };
    // Day 1: no cache reads. Day 2: 20,000 cache reads on the same call.
    await days.append([
      makeEvent(1, { ...usage, ts: T0 + DAY + 1, cache_read_tokens: 20_000 }),
      makeEvent(2, { ...usage, ts: T0 + 1, cache_read_tokens: 0 }),
    ]);
    const m = metricsBy(await days.query({ dimensions: ['team', ...METRICS_DIMENSIONS], bucket: 'day' }), [
      'team',
    ]);
    expect(m.groups.map((g) => [g.bucket, g.dims.team, g.cache_hit_rate])).toEqual([
      [new Date(T0 / 1000).toISOString(), 'platform', 0],
      [new Date((T0 + DAY) / 1000).toISOString(), 'platform', 20_000 / 21_000],
    ]);
    // $0.0075 over 1,300 tokens, then $0.0135 over 21,300: caching lowered the effective rate.
    expect(m.groups.map((g) => g.cost_per_1m_tokens_usd)).toEqual([5_769_230_769_230n, 633_802_816_901n]);
    expect(m.total.requests).toBe(2);
    await days.close();
  });
});

describe('metricsBy with GPU energy', () => {
  it("sets a group's joules against the tokens of the models they served, and no other's", async () => {
    const gpus = await createDuckDbStore(':memory:');
    const call = (n: number, ts: number, model: string, team: string) =>
      makeEvent(n, {
        ts,
        model,
        team,
        input_tokens: 1000,
        cache_read_tokens: 0,
        output_tokens: 200,
        rates: null,
      });
    // What the OTLP receiver records for a window of a GPU pool (sources/otlp/gpu-energy.ts): no tokens, no calls.
    const energy = (n: number, ts: number, joules: number) =>
      makeEvent(n, {
        ts,
        model: 'llama-70b',
        team: null,
        operation: 'energy',
        requests: 0,
        input_tokens: 0,
        cache_read_tokens: 0,
        output_tokens: 0,
        energy_j: joules,
        energy_source: 'measured',
        rates: null,
      });
    await gpus.append([
      // Day 1: two calls of the self-served model, one of a hosted one, 600 J.
      call(1, T0 + 10, 'llama-70b', 'web'),
      call(2, T0 + 20, 'llama-70b', 'data'),
      call(3, T0 + 30, 'claude-sonnet-4-5', 'web'),
      energy(4, T0 + 40, 600),
      // Day 2: the GPUs idle, 300 J and no call.
      energy(5, T0 + DAY + 40, 300),
    ]);
    const q: Query = { dimensions: ['model', 'cost_source'], bucket: 'day' };
    const m = metricsBy(await gpus.query(q), ['model'], await gpus.energy(q));
    expect(
      m.groups.map((g) => [g.bucket?.slice(0, 10), g.dims.model, g.tokens, g.energy_j, g.tokens_per_joule]),
    ).toEqual([
      // Both unpriced ($0): the more tokens first.
      ['2026-01-05', 'llama-70b', 2400, 600, 4],
      ['2026-01-05', 'claude-sonnet-4-5', 1200, null, null],
      // Idle: joules and no tokens is a rate of 0, not no rate.
      ['2026-01-06', 'llama-70b', 0, 300, 0],
    ]);
    // Over both days the hosted model's 1,200 tokens stay out: 2,400 tokens over 900 J.
    expect([m.total.tokens, m.total.energy_j, m.total.tokens_per_joule]).toEqual([3600, 900, 2.66667]);
    // By team, the energy has no team: the teams' groups have tokens and no energy.
    const t: Query = { dimensions: ['team', 'model', 'cost_source'] };
    const byTeam = metricsBy(await gpus.query(t), ['team'], await gpus.energy(t));
    expect(byTeam.groups.map((g) => [g.dims.team, g.energy_j, g.tokens_per_joule])).toEqual([
      ['web', null, null],
      ['data', null, null],
      [null, 900, 0],
    ]);
    await gpus.close();
  });
});
