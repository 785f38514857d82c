/**
 * Test events for the store suite. Costs come from costOf() with RateCards built here (pricing's catalog is not
 * involved), including odd rates whose parts need rounding and exact half-way ties, so the SQL formula is held to
 * half-to-even on every path.
 */

import type { RateCard, UsageEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { costOf } from '../../pricing/cost.js';
import { Rng } from '../../sources/demo/prng.js';

const E12 = 10n ** 12n;

/** USD per 1M tokens at 18 digits from a decimal string. */
function rate(usdPerM: string): bigint {
  const [w, f = ''] = usdPerM.split('.');
  return BigInt(w!) * 10n ** 18n + BigInt((f + '0'.repeat(18)).slice(0, 18));
}

/**
 * A card from decimal strings: token rates in USD per 1M tokens, `webSearch` in USD per 1,000 searches, `audioHour` in
 * USD per hour of audio.
 */
export function card(
  input: string,
  cacheRead: string,
  write5m: string,
  write1h: string,
  output: string,
  webSearch = '0',
  inputAudio = input,
  outputAudio = output,
  inputImage = input,
  outputImage = output,
  audioHour = '0',
): RateCard {
  return {
    input: rate(input),
    cache_read: rate(cacheRead),
    cache_write_5m: rate(write5m),
    cache_write_1h: rate(write1h),
    output: rate(output),
    web_search: rate(webSearch),
    input_audio: rate(inputAudio),
    output_audio: rate(outputAudio),
    input_image: rate(inputImage),
    output_image: rate(outputImage),
    audio_hour: rate(audioHour),
  };
}

export const CARDS = {
  sonnet: card('3', '0.3', '3.75', '6', '15', '10'),
  gpt: card('1.25', '0.125', '0', '0', '10', '25', '32', '64', '1.25', '10', '0.36'),
  // Discounted by an odd percentage: parts (and the search fee) need rounding.
  discounted: card(
    '2.497777777777777777',
    '0.249777777777777777',
    '3.121333333333333333',
    '4.99',
    '12.488888888888888889',
    '8.325925925925925926',
    '31.971555555555555555',
    '63.943111111111111111',
    '7.993888888888888888',
    '31.977777777777777777',
    '0.333333333333333333',
  ),
  // a·10^12 + 5·10^11: every odd token count lands exactly half-way (both quotient parities occur). The search rate
  // is per 1,000, so its ×1000 is of that form: an odd number of searches is a tie too. The audio rate per hour is
  // 7.5 × 3.6·10^12 (the fee's divisor): an odd number of milliseconds lands half-way too.
  ties: {
    input: 7n * E12 + E12 / 2n,
    cache_read: E12 / 2n,
    cache_write_5m: 3n * E12 + E12 / 2n,
    cache_write_1h: E12 / 2n,
    output: 1_000_000n * E12 + E12 / 2n,
    web_search: 7n * 10n ** 9n + 5n * 10n ** 8n,
    input_audio: 11n * E12 + E12 / 2n,
    output_audio: 13n * E12 + E12 / 2n,
    input_image: 17n * E12 + E12 / 2n,
    output_image: 19n * E12 + E12 / 2n,
    audio_hour: 27n * E12,
  },
} satisfies Record<string, RateCard>;

export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0) * 1000;
export const HOUR = 3_600_000_000;
export const DAY = 24 * HOUR;

/** A priced event; override anything. Costs follow `rates` unless the override sets them. */
export function makeEvent(n: number, o: Partial<UsageEvent> = {}): UsageEvent {
  const rates = o.rates === undefined ? CARDS.sonnet : o.rates;
  const usage = {
    requests: 1,
    input_tokens: 1000 + n,
    cache_read_tokens: 20_000,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: 300,
    reasoning_tokens: 0,
    web_search_requests: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
  };
  const merged = { ...usage, ...o };
  const cost = rates ? costOf(merged, rates) : null;
  return {
    event_id: eventId('test', n),
    source: 'jsonl',
    source_ref: `test.jsonl:${n + 1}`,
    ingested_at: T0 + 40 * DAY,
    ts: T0 + n * 60_000_000,
    duration_ms: 1200,
    ttft_ms: null,
    org: 'acme',
    team: 'platform',
    user: 'ada',
    project: 'ledger',
    agent: 'claude-code',
    session_id: 's1',
    task_id: null,
    environment: 'prod',
    api_key_id: null,
    tags: {},
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    model_requested: 'claude-sonnet-4-5',
    operation: 'chat',
    service_tier: null,
    route_id: null,
    ...usage,
    cost_usd: cost?.cost_usd ?? null,
    cost_input: cost?.cost_input ?? null,
    cost_cache_read: cost?.cost_cache_read ?? null,
    cost_cache_write: cost?.cost_cache_write ?? null,
    cost_output: cost?.cost_output ?? null,
    cost_source: rates ? 'computed' : 'unpriced',
    price_version: rates ? 'test@1' : null,
    rates,
    provider_cost_usd: null,
    energy_j: null,
    energy_source: null,
    status: 'ok',
    error_type: null,
    ...o,
  } as UsageEvent;
}

const TEAMS = ['platform', 'search', 'ads', 'infra'];
const MODELS: [string, string, RateCard | null][] = [
  ['anthropic', 'claude-sonnet-4-5', CARDS.sonnet],
  ['openai', 'gpt-5', CARDS.gpt],
  ['anthropic', 'claude-opus-4-1', CARDS.discounted],
  ['acme', 'odd-model', CARDS.ties],
  ['selfhost', 'mystery-7b', null],
];

/**
 * `count` varied events over ~`days` days from T0: several teams, users, models (one unpriced), tags on some,
 * errors, given provider costs on a few, token counts from 0 to millions (odd ones too, for the tie card).
 */
export function randomEvents(count: number, seed = 1, days = 10): UsageEvent[] {
  const g = new Rng(seed);
  const r = () => g.next();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const tokens = (max: number) => (r() < 0.2 ? 0 : Math.floor(r() ** 3 * max));
  const out: UsageEvent[] = [];
  for (let i = 0; i < count; i++) {
    const [provider, model, rates] = pick(MODELS);
    const usage = {
      requests: r() < 0.05 ? 3 : 1,
      input_tokens: tokens(200_000),
      cache_read_tokens: tokens(2_000_000),
      cache_write_5m_tokens: tokens(50_000),
      cache_write_1h_tokens: tokens(20_000),
      output_tokens: tokens(30_000),
      reasoning_tokens: 0,
      // From the index, not the generator: the events' other fields stay what they were before searches existed.
      web_search_requests: i % 7 === 3 ? (i % 5) + 1 : 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      input_image_tokens: 0,
      output_image_tokens: 0,
      audio_ms: 0,
    };
    usage.reasoning_tokens = Math.floor(usage.output_tokens * r() * 0.5);
    // Also from the index: parts of input and output, odd counts included (the tie card rounds them).
    if (i % 9 === 4) {
      usage.input_audio_tokens = Math.ceil(usage.input_tokens / 3);
      usage.output_audio_tokens = usage.output_tokens - Math.floor(usage.output_tokens / 2);
    }
    // Audio billed by its duration on others (as a gateway records a transcription, beside tokens the model may
    // not price): odd milliseconds (ties on the tie card), and whole seconds.
    if (i % 13 === 5) usage.audio_ms = i % 2 === 0 ? i * 7919 + 1 : (i % 600) * 1000;
    // Image parts beside them (on some events both): half of what the audio leaves of each whole, made odd.
    if (i % 11 === 6) {
      const odd = (n: number) => (n > 0 && n % 2 === 0 ? n - 1 : n);
      usage.input_image_tokens = odd(Math.floor((usage.input_tokens - usage.input_audio_tokens) / 2));
      usage.output_image_tokens = odd(Math.floor((usage.output_tokens - usage.output_audio_tokens) / 2));
    }
    const user = `u${Math.floor(r() * 12)}`;
    const given = rates !== null && r() < 0.05;
    const cost = rates ? costOf(usage, rates) : null;
    const tags: Record<string, string> = {};
    if (r() < 0.3) tags.repo = pick(['api', 'web', 'ml']);
    if (r() < 0.1) tags.ticket = `T-${Math.floor(r() * 50)}`;
    const status = r() < 0.05 ? 'error' : 'ok';
    out.push({
      event_id: eventId('test-random', seed, i),
      source: pick(['claude-code', 'codex', 'gateway']),
      source_ref: r() < 0.5 ? null : `f.jsonl:${i + 1}`,
      ingested_at: T0 + (days + 1) * DAY + i,
      ts: T0 + Math.floor(r() * days * DAY),
      duration_ms: r() < 0.1 ? null : Math.floor(r() * 60_000) + (r() < 0.1 ? 0.5 : 0),
      ttft_ms: r() < 0.5 ? null : Math.floor(r() * 2000),
      org: 'acme',
      team: r() < 0.03 ? null : TEAMS[Number(user.slice(1)) % TEAMS.length]!,
      user,
      project: pick(['p1', 'p2', 'p3']),
      agent: pick(['claude-code', 'codex', 'support-bot']),
      session_id: `s${Math.floor(i / 20)}`,
      task_id: r() < 0.1 ? `t${i}` : null,
      environment: pick(['prod', 'dev']),
      api_key_id: r() < 0.2 ? 'key-1' : null,
      tags,
      provider,
      model,
      model_requested: model,
      operation: 'chat',
      service_tier: r() < 0.1 ? 'batch' : null,
      route_id: null,
      ...usage,
      cost_usd: given ? 123_456_789n + BigInt(i) : (cost?.cost_usd ?? null),
      cost_input: given ? null : (cost?.cost_input ?? null),
      cost_cache_read: given ? null : (cost?.cost_cache_read ?? null),
      cost_cache_write: given ? null : (cost?.cost_cache_write ?? null),
      cost_output: given ? null : (cost?.cost_output ?? null),
      cost_source: given ? 'provider' : rates ? 'computed' : 'unpriced',
      price_version: rates ? 'test@1' : null,
      rates: given ? null : rates,
      provider_cost_usd: r() < 0.1 ? BigInt(Math.floor(r() * 1e9)) : null,
      energy_j: r() < 0.1 ? r() * 100 : null,
      energy_source: null,
      status,
      error_type: status === 'error' ? pick(['rate_limit', 'timeout']) : null,
    });
  }
  return out;
}
