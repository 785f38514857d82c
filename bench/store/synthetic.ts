/**
 * Demo-like synthetic events for store measurements (bytes per event, append rate, report latency), lighter than
 * the demo organisation generator (src/sources/demo/), which the ledger benchmark uses: the shape is what matters
 * here — sorted by time, ~300 people in 12 teams, a few providers/models/agents, sessions of ~50 calls, log-normal
 * token counts, cache reads common. Deterministic for a seed.
 */
import type { RateCard, UsageEvent } from '../../src/ledger/event.js';
import { costOf } from '../../src/pricing/cost.js';
import { Rng } from '../../src/sources/demo/prng.js';

const E18 = 10n ** 18n;
const rate = (usdPerM: string): bigint => {
  const [w, f = ''] = usdPerM.split('.');
  return BigInt(w!) * E18 + BigInt((f + '0'.repeat(18)).slice(0, 18));
};
const card = (i: string, cr: string, w5: string, w1: string, o: string): RateCard => ({
  input: rate(i),
  cache_read: rate(cr),
  cache_write_5m: rate(w5),
  cache_write_1h: rate(w1),
  output: rate(o),
  web_search: 0n,
  input_audio: rate(i),
  output_audio: rate(o),
  input_image: rate(i),
  output_image: rate(o),
  audio_hour: 0n,
});

const MODELS: { provider: string; model: string; rates: RateCard; weight: number }[] = [
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    rates: card('3', '0.3', '3.75', '6', '15'),
    weight: 40,
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-1',
    rates: card('15', '1.5', '18.75', '30', '75'),
    weight: 8,
  },
  { provider: 'anthropic', model: 'claude-haiku-4-5', rates: card('1', '0.1', '1.25', '2', '5'), weight: 15 },
  { provider: 'openai', model: 'gpt-5', rates: card('1.25', '0.125', '0', '0', '10'), weight: 20 },
  { provider: 'openai', model: 'gpt-5-mini', rates: card('0.25', '0.025', '0', '0', '2'), weight: 10 },
  { provider: 'google', model: 'gemini-2.5-pro', rates: card('1.25', '0.31', '0', '0', '10'), weight: 7 },
];
const AGENTS = ['claude-code', 'codex', 'gemini-cli', 'cursor', 'support-bot', 'review-bot'];
const TEAMS = Array.from({ length: 12 }, (_, i) => `team-${String.fromCharCode(97 + i)}`);
const PRICE_VERSION = 'genai-prices@0.1.8+none';

export interface SyntheticOptions {
  seed?: number;
  people?: number;
  /** First event, epoch µs. */
  start?: number;
  days?: number;
}

/**
 * Yields `total` events in batches of `batchSize`, sorted by ts. Each event's cost is costOf(its usage, its rates),
 * as the pricing engine would produce.
 */
export function* syntheticBatches(
  total: number,
  batchSize: number,
  o: SyntheticOptions = {},
): Generator<UsageEvent[]> {
  const g = new Rng(o.seed ?? 1);
  const r = () => g.next();
  const people = o.people ?? 300;
  const start = o.start ?? Date.UTC(2026, 0, 1) * 1000;
  const span = (o.days ?? 30) * 86_400_000_000;
  const step = span / total;
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const logNormal = (median: number, sigma: number) => Math.round(median * Math.exp(sigma * normal()));
  const weights = MODELS.reduce((s, m) => s + m.weight, 0);
  const pickModel = () => {
    let x = r() * weights;
    for (const m of MODELS) {
      x -= m.weight;
      if (x < 0) return m;
    }
    return MODELS[0]!;
  };
  let session = { id: '', user: 0, model: MODELS[0]!, agent: '', left: 0 };
  let n = 0;
  let batch: UsageEvent[] = [];
  while (n < total) {
    if (session.left <= 0) {
      session = {
        id: `s-${(n * 2654435761) >>> 0}`,
        user: Math.floor(people * r() ** 2),
        model: pickModel(),
        agent: AGENTS[Math.floor(r() * AGENTS.length)]!,
        left: logNormal(50, 0.6),
      };
    }
    session.left--;
    const ts = start + Math.floor(n * step + r() * step);
    const cacheRead = r() < 0.8 ? logNormal(30_000, 1) : 0;
    const usage = {
      requests: 1,
      input_tokens: logNormal(800, 1.2),
      cache_read_tokens: cacheRead,
      cache_write_5m_tokens: r() < 0.3 ? logNormal(2_000, 1) : 0,
      cache_write_1h_tokens: r() < 0.02 ? logNormal(5_000, 1) : 0,
      output_tokens: logNormal(400, 1.1),
      reasoning_tokens: 0,
      web_search_requests: 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      input_image_tokens: 0,
      output_image_tokens: 0,
      audio_ms: 0,
    };
    const m = session.model;
    const cost = costOf(usage, m.rates);
    const user = session.user;
    batch.push({
      event_id: (BigInt(n) * 0x9e3779b97f4a7c15n).toString(16).slice(-16).padStart(16, '0'),
      source: session.agent.endsWith('-bot') ? 'gateway' : session.agent,
      source_ref: null,
      ingested_at: start + span,
      ts,
      duration_ms: logNormal(4000, 0.8),
      ttft_ms: null,
      org: 'acme',
      team: TEAMS[user % TEAMS.length]!,
      user: `user-${user}`,
      project: `proj-${(user * 7) % 40}`,
      agent: session.agent,
      session_id: session.id,
      task_id: null,
      environment: 'prod',
      api_key_id: null,
      tags: {},
      provider: m.provider,
      model: m.model,
      model_requested: m.model,
      operation: 'chat',
      service_tier: null,
      route_id: null,
      ...usage,
      ...cost,
      cost_source: 'computed',
      price_version: PRICE_VERSION,
      rates: m.rates,
      provider_cost_usd: null,
      energy_j: null,
      energy_source: null,
      status: r() < 0.02 ? 'error' : 'ok',
      error_type: null,
    });
    n++;
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
