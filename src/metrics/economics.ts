import type { Measures, QueryResult } from '../store/query.js';

/**
 * The AI-economics metrics of docs/metrics.md, computed from the store's exact sums. Pure: each takes what a query
 * returned. Money in and out is pico-dollars (bigint), divided with truncation toward zero at the end, never
 * through a float.
 */

/** Tokens of every kind a call is billed for: uncached input, cache reads, cache writes (5m and 1h), output. */
export function tokensOf(m: Measures): number {
  return (
    m.input_tokens + m.cache_read_tokens + m.cache_write_5m_tokens + m.cache_write_1h_tokens + m.output_tokens
  );
}

/**
 * Effective cost per 1M tokens, pico-dollars: cost over priced tokens of every kind; 0 when no token was priced.
 * Unpriced events add no cost, so counting their tokens would lower the rate as if they had been free.
 */
export function costPerMillion(cost: bigint, pricedTokens: number): bigint {
  return pricedTokens <= 0 ? 0n : (cost * 1_000_000n) / BigInt(pricedTokens);
}

/** Cost per call, pico-dollars; 0 when there was no call. */
export function costPerRequest(cost: bigint, requests: number): bigint {
  return requests <= 0 ? 0n : cost / BigInt(requests);
}

/**
 * Cache hit rate: the share of prompt tokens (uncached input, cache reads, cache writes) read from a cache, in
 * [0, 1]; null when there was no prompt token. A ratio of counts, not money: a float is right here.
 */
export function cacheHitRate(m: PromptTokens): number | null {
  const prompt = m.input_tokens + m.cache_read_tokens + m.cache_write_5m_tokens + m.cache_write_1h_tokens;
  return prompt === 0 ? null : m.cache_read_tokens / prompt;
}

type PromptTokens = Pick<
  Measures,
  'input_tokens' | 'cache_read_tokens' | 'cache_write_5m_tokens' | 'cache_write_1h_tokens'
>;

/** Cost sources whose events carry the cost's parts; a provider's given total and an unpriced event have none. */
const WITH_PARTS = new Set<string | null>(['computed', 'estimated']);

/**
 * What cache reads saved against paying the full input price, pico-dollars, from rows by `model` and
 * `cost_source`: per model, cache-read tokens at the model's average uncached input price, minus what the cache
 * reads cost. Per model because cache discounts differ by model; exact when a model had one input price in the range
 * (the usual case). Only events priced part by part count: the input tokens of the others have no input cost beside
 * them and would lower the average price. A model with cache reads and no uncached input in the rows has no input
 * price to compare with and counts nothing.
 */
export function cacheSavings(byModelAndSource: Pick<QueryResult, 'rows'>): bigint {
  let saved = 0n;
  for (const r of byModelAndSource.rows)
    if (WITH_PARTS.has(r.dims.cost_source ?? null) && r.input_tokens > 0 && r.cache_read_tokens > 0)
      saved += (BigInt(r.cache_read_tokens) * r.cost_input) / BigInt(r.input_tokens) - r.cost_cache_read;
  return saved;
}

/**
 * Cost per intelligence, as cost per point of quality, pico-dollars: what a policy's answers cost over the sum of
 * their scores (with right/wrong scores, per right answer); null when no answer scored. Scores may be fractions, so
 * their sum is taken to 6 decimals to divide exactly.
 */
export function costPerPoint(cost: bigint, points: number): bigint | null {
  const micro = BigInt(Math.round(points * 1e6));
  return micro <= 0n ? null : (cost * 1_000_000n) / micro;
}

/**
 * Tokens per joule: tokens of every kind over the joules used to serve them, to 6 significant digits; null without
 * joules. Not money: a float is right here, and the energy it divides by is a float measurement.
 */
export function tokensPerJoule(tokens: number, joules: number): number | null {
  return joules > 0 ? Number((tokens / joules).toPrecision(6)) : null;
}
