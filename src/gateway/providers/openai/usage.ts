import { audioMsOfSeconds } from '../../../ledger/audio-ms.js';
import { parseUsd } from '../../../money/money.js';
import { DEFAULT_TOOL, webSearchToolName } from '../../../pricing/web-search.js';
import { count, durationUsage, type MeteredUsage, obj, type ResponseFacts, str } from '../provider.js';

/**
 * OpenAI usage blocks to the ledger's convention. Chat and completions report `prompt_tokens` including cached
 * reads (`prompt_tokens_details.cached_tokens`; DeepSeek's `prompt_cache_hit_tokens`, Together's `cached_tokens`) and
 * `completion_tokens` including reasoning (reasoningOutside: upstreams that count it apart); the Responses API says
 * `input_tokens`/`output_tokens` with `*_details`; embeddings only `prompt_tokens`. Input is split so it never
 * includes the cached part. OpenRouter also counts prompt-cache writes inside `prompt_tokens`
 * (`prompt_tokens_details.cache_write_tokens`, https://openrouter.ai/docs/use-cases/usage-accounting): they are
 * split out too, as 5-minute writes (the default lifetime; OpenRouter does not say which).
 *
 * Audio models (gpt-audio, gpt-4o-audio-preview) add `audio_tokens` to both details: the audio among prompt and
 * completion tokens, billed at audio rates. The prompt's count does not say how much of it was cached, so audio is
 * taken as uncached input first, never more than the uncached input (docs/pricing.md, "Audio").
 */
function openAiUsage(u: Record<string, unknown>, model: string | null): MeteredUsage {
  // The Audio API's transcriptions spell them `input_token_details`, as the Realtime API does.
  const inDetails = obj(u.prompt_tokens_details) ?? obj(u.input_tokens_details) ?? obj(u.input_token_details);
  const outDetails =
    obj(u.completion_tokens_details) ?? obj(u.output_tokens_details) ?? obj(u.output_token_details);
  const prompt = count(u.prompt_tokens ?? u.input_tokens);
  // Where OpenAI has `prompt_tokens_details.cached_tokens`, DeepSeek reports `prompt_cache_hit_tokens` (with
  // `prompt_cache_miss_tokens`, the two adding up to prompt_tokens), and Together and Moonshot's Kimi a top-level
  // `cached_tokens` (Together with `prompt_tokens_details: null`).
  const hits = inDetails?.cached_tokens ?? u.prompt_cache_hit_tokens ?? u.cached_tokens;
  const cached = Math.min(count(hits), prompt);
  const written = Math.min(count(inDetails?.cache_write_tokens), prompt - cached);
  const input = prompt - cached - written;
  const completion = count(u.completion_tokens ?? u.output_tokens);
  const reported = count(outDetails?.reasoning_tokens);
  const outside = reasoningOutside(u.total_tokens, prompt, completion, reported, model);
  const output = completion + outside;
  const reasoning = reported > 0 ? reported : outside;
  return {
    input_tokens: input,
    cache_read_tokens: cached,
    cache_write_5m_tokens: written,
    cache_write_1h_tokens: 0,
    output_tokens: output,
    reasoning_tokens: reasoning,
    web_search_requests: 0,
    input_audio_tokens: Math.min(count(inDetails?.audio_tokens), input),
    output_audio_tokens: Math.min(count(outDetails?.audio_tokens), output),
  };
}

/**
 * Reasoning an OpenAI-compatible upstream counted outside `completion_tokens` (0 when none), where OpenAI counts it
 * inside. The providers that do so bill it as output, so it is added to the event's output:
 * - xAI reports it as `completion_tokens_details.reasoning_tokens` beside completion_tokens (Grok on Vertex AI: "The
 *   reasoning token count is outputted in the reasoning_tokens field, separated from the completion_tokens",
 *   https://docs.cloud.google.com/vertex-ai/generative-ai/docs/partner-models/grok/capabilities/reasoning): its total
 *   is prompt + completion + reasoning. OpenAI's total is prompt + completion, which with any reasoning at all cannot
 *   equal that sum; without a total, more reasoning than completion tokens can only have been counted apart.
 * - Gemini's OpenAI-compatible endpoint reports its thinking in total_tokens alone, with no reasoning_tokens
 *   ("completion_tokens, prompt_tokens, and total_tokens do not add up", with a reproduction:
 *   https://discuss.ai.google.dev/t/127400, "Endpoint … is not compliant with API specs"):
 *   for a Gemini model, the total's excess over prompt + completion. Another model's unexplained excess is left out.
 */
function reasoningOutside(
  total: unknown,
  prompt: number,
  completion: number,
  reported: number,
  model: string | null,
): number {
  if (typeof total !== 'number') return reported > completion ? reported : 0;
  const excess = count(total) - prompt - completion;
  if (excess <= 0) return 0;
  if (reported === excess) return reported;
  return reported === 0 && model?.includes('gemini') === true ? excess : 0;
}

/** Facts from a response object (a chat completion, a Responses API response, an embeddings list, a chunk). */
export function openAiFacts(body: unknown): ResponseFacts {
  const o = obj(body);
  if (o === null) return { usage: null, model: null, service_tier: null, response_id: null };
  // A Responses API stream's final event wraps the response.
  const r = obj(o.response) ?? o;
  const usage = obj(r.usage);
  if (usage?.type === 'duration') return durationFacts(usage, r);
  const searches = webSearchCalls(r.output);
  return {
    usage: usage === null ? null : { ...openAiUsage(usage, str(r.model)), web_search_requests: searches },
    model: str(r.model),
    service_tier: str(r.service_tier),
    response_id: str(r.id),
    provider_cost_usd: usage === null ? null : reportedCost(usage),
    web_search_tool: searches > 0 ? searchTool(r.tools) : null,
  };
}

/**
 * whisper-1's transcriptions are billed by the length of their audio, and report it in place of tokens:
 * `{"type": "duration", "seconds": 9}` (openai-python's `TranscriptionVerbose.Usage`: "Usage statistics for models
 * billed by audio input duration", `seconds: float`). No tokens; the seconds are the event's `audio_ms`. Seconds
 * that are not a duration (negative, not a number) leave the answer without usage, estimated as any such answer is.
 */
function durationFacts(u: Record<string, unknown>, r: Record<string, unknown>): ResponseFacts {
  const ms = audioMsOfSeconds(u.seconds);
  return {
    usage: ms === null ? null : durationUsage(ms),
    model: str(r.model),
    service_tier: str(r.service_tier),
    response_id: str(r.id),
  };
}

/**
 * The Responses API bills each `web_search_call` output item as one call (https://platform.openai.com/docs/pricing,
 * Built-in tools: "Tool calls are billed per 1000 calls"); a stream's final event carries the whole `output`.
 * Every item counts, whatever its status: the page bills calls and says nothing of failed ones.
 */
function webSearchCalls(output: unknown): number {
  if (!Array.isArray(output)) return 0;
  let n = 0;
  for (const item of output) if (obj(item)?.type === 'web_search_call') n++;
  return n;
}

/**
 * The search tool the response declares, when it is an earlier one than `web_search` (`web_search_preview`, with or
 * without its date), which OpenAI prices apart on non-reasoning models; null for `web_search` itself. The output
 * items do not say which tool ran, so a response declaring both is taken as the current one.
 */
function searchTool(tools: unknown): string | null {
  if (!Array.isArray(tools)) return null;
  const names = tools
    .map((t) => str(obj(t)?.type))
    .filter((t): t is string => t !== null)
    .map(webSearchToolName)
    .filter((t) => t.startsWith(DEFAULT_TOOL));
  return names.length === 0 || names.includes(DEFAULT_TOOL) ? null : names[0]!;
}

/**
 * What OpenRouter says the call cost: `usage.cost`, "the total amount charged to your account", and for a Bring Your
 * Own Key call (`is_byok`) also `cost_details.upstream_inference_cost`, "the actual cost charged by the upstream AI
 * provider" to the caller's own key, since `cost` is then only OpenRouter's fee
 * (https://openrouter.ai/docs/use-cases/usage-accounting). Credits are USD. Perplexity's `usage.cost` is an object of
 * parts, `input_tokens_cost`, `output_tokens_cost`, `request_cost` (its per-request search fee, which no token count
 * shows) and their `total_cost`, in USD.
 */
function reportedCost(u: Record<string, unknown>): bigint | null {
  const parts = obj(u.cost);
  if (parts !== null) return usd(parts.total_cost);
  const cost = usd(u.cost);
  if (cost === null || u.is_byok !== true) return cost;
  const upstream = usd(obj(u.cost_details)?.upstream_inference_cost);
  return upstream === null ? cost : cost + upstream;
}

/** An amount in USD as a JSON number: anything but a finite non-negative number is not a cost. */
function usd(v: unknown): bigint | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e15 ? parseUsd(v) : null;
}
