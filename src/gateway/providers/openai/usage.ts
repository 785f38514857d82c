import { parseUsd } from '../../../money/money.js';
import { count, type MeteredUsage, obj, type ResponseFacts, str } from '../provider.js';

/**
 * OpenAI usage blocks to the ledger's convention. Chat and completions report `prompt_tokens` including cached
 * reads (`prompt_tokens_details.cached_tokens`) and `completion_tokens` including reasoning; the Responses API says
 * `input_tokens`/`output_tokens` with `*_details`; embeddings only `prompt_tokens`. Input is split so it never
 * includes the cached part. OpenRouter also counts prompt-cache writes inside `prompt_tokens`
 * (`prompt_tokens_details.cache_write_tokens`, https://openrouter.ai/docs/use-cases/usage-accounting): they are
 * split out too, as 5-minute writes (the default lifetime; OpenRouter does not say which).
 */
export function openAiUsage(u: Record<string, unknown>): MeteredUsage {
  const inDetails = obj(u.prompt_tokens_details) ?? obj(u.input_tokens_details);
  const outDetails = obj(u.completion_tokens_details) ?? obj(u.output_tokens_details);
  const prompt = count(u.prompt_tokens ?? u.input_tokens);
  const cached = Math.min(count(inDetails?.cached_tokens), prompt);
  const written = Math.min(count(inDetails?.cache_write_tokens), prompt - cached);
  return {
    input_tokens: prompt - cached - written,
    cache_read_tokens: cached,
    cache_write_5m_tokens: written,
    cache_write_1h_tokens: 0,
    output_tokens: count(u.completion_tokens ?? u.output_tokens),
    reasoning_tokens: count(outDetails?.reasoning_tokens),
    web_search_requests: 0,
  };
}

/** Facts from a response object (a chat completion, a Responses API response, an embeddings list, a chunk). */
export function openAiFacts(body: unknown): ResponseFacts {
  const o = obj(body);
  if (o === null) return { usage: null, model: null, service_tier: null, response_id: null };
  // A Responses API stream's final event wraps the response.
  const r = obj(o.response) ?? o;
  const usage = obj(r.usage);
  return {
    usage: usage === null ? null : openAiUsage(usage),
    model: str(r.model),
    service_tier: str(r.service_tier),
    response_id: str(r.id),
    provider_cost_usd: usage === null ? null : reportedCost(usage.cost),
  };
}

/** OpenRouter's `usage.cost`: credits, which are USD. Anything but a finite non-negative number is not a cost. */
function reportedCost(v: unknown): bigint | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e15 ? parseUsd(v) : null;
}
