import { divRoundHalfEven } from '../money/money.js';
import { anthropicGeo, anthropicServiceTier } from '../pricing/anthropic-tier.js';
import { RATE_SCALE, webSearchFee } from '../pricing/cost.js';
import { FALLBACK_OUTPUT_TOKENS, outputLimitOf } from '../pricing/output-limits.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Resolution } from '../pricing/resolve.js';
import { DEFAULT_TOOL, webSearchToolName } from '../pricing/web-search.js';
import { picoToNanoUp } from './nano.js';

/**
 * Chat framing the tokenizer does not see in the text: OpenAI documents ~3 tokens per message plus 3 to prime the
 * reply; 4 per message leaves room for names and roles. Without it a reservation could fall a few tokens short of
 * what the provider bills.
 */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_REQUEST = 3;

/**
 * A request with tools is billed for a system prompt the provider adds to enable them, beside the tools' own JSON.
 * Anthropic lists it per model and tool_choice ("Tool use system prompt token count": 159 to 530 tokens; 530 is Claude
 * 3 Opus with `auto`, the most it lists, and current models take 346 at most); OpenAI does not publish its own. The
 * most listed is reserved for every provider and model, so the worst case stays an upper bound.
 */
export const TOOL_USE_SYSTEM_PROMPT_TOKENS = 530;

/**
 * Providers that cache a prompt's prefix without being asked: OpenAI (and its models on Azure) caches every prompt of
 * 1,024 tokens or more, and from GPT-5.6 on bills the write at 1.25x input (the catalog's cache-write price), so any
 * call to such a model may be billed writes whatever its body says. Models without a write price are unchanged: their
 * write rate is their input rate. Anthropic writes only where `cache_control` asks (mayWriteCache).
 */
const CACHES_UNASKED: ReadonlySet<string> = new Set(['openai', 'azure']);

/** cost.ts: a part is round(tokens × rate / 10^12) (rates at 18 digits, costs in pico-dollars at 12). */
const PART_DIVISOR = 10n ** BigInt(RATE_SCALE - 6);

export interface WorstCaseInput {
  /** The request body. */
  json: Record<string, unknown>;
  /** Prompt text of the request (provider.inputText(json)). */
  inputText: string;
  /** Provider id used for pricing. */
  provider: string;
  /** Model name the request goes to. */
  model: string;
  /** Epoch µs of the call (prices change over time). */
  ts: number;
  /**
   * The request asks for prompt caching (`cache_control`): input may be billed at the cache-write rate, as it may be
   * on a provider that caches unasked (CACHES_UNASKED).
   */
  mayWriteCache: boolean;
  /** Where the upstream runs the call when that costs extra (OpenAI's data residency hosts: Upstream.inference_geo). */
  geo?: string | null | undefined;
  countTokens: (text: string) => Promise<number> | number;
}

export interface WorstCase {
  /** Pico-dollars; 0 when the model has no price (the ledger will record it unpriced, at no cost to any budget). */
  pico: bigint;
  /** Nano-dollars, rounded up: what is reserved in the counters. */
  nano: bigint;
  inputTokens: number;
  outputTokens: number;
  priced: boolean;
}

/**
 * The most a call can cost: every input token counted with the tokenizer (plus chat framing), billed at the dearest
 * input rate the request can incur, plus the output limit at the output rate, times `n` choices. Exact: bigint
 * through the one cost formula (pricing/cost.ts).
 */
export async function worstCase(w: WorstCaseInput, pricer: Pricer): Promise<WorstCase> {
  return pricedWorstCase(w, await countInputTokens(w.json, w.inputText, w.countTokens), pricer);
}

/**
 * The request's input tokens as the tokenizer counts them, plus chat framing; a number (no promise) when
 * `countTokens` answers at once.
 */
export function countInputTokens(
  json: Record<string, unknown>,
  inputText: string,
  countTokens: (text: string) => Promise<number> | number,
): number | Promise<number> {
  const framing = framingTokens(json);
  const tools = toolsText(json);
  const text = countTokens(inputText);
  const more = tools === '' ? 0 : countTokens(tools);
  if (typeof text === 'number' && typeof more === 'number') return text + more + framing;
  return Promise.all([text, more]).then(([a, b]) => a + b + framing);
}

/**
 * An upper bound on countInputTokens without the tokenizer: the UTF-8 byte length of the text. Byte-level BPE
 * (gpt-tokenizer's o200k and cl100k) splits the bytes into tokens of at least one byte each, so a text never has
 * more tokens than bytes (worst-case.test.ts checks it on real prompts). Typically 3-4x the real count.
 */
export function inputTokenBound(json: Record<string, unknown>, inputText: string): number {
  const tools = toolsText(json);
  return (
    Buffer.byteLength(inputText, 'utf8') +
    (tools === '' ? 0 : Buffer.byteLength(tools, 'utf8')) +
    framingTokens(json)
  );
}

/**
 * inputTokenBound from the request body alone, without building its prompt text: the body's byte length, when the
 * body is valid UTF-8 (`bodyBytes`, else null) and has no tools (their text is re-serialised JSON, which need not be
 * in the body byte for byte). Every prompt string the providers' inputText joins is a distinct JSON string in the
 * body, encoded there in at least its UTF-8 bytes plus two quotes (which pay for the '\n' joining it), so the text
 * never has more bytes than the body. Null: use inputTokenBound.
 */
export function bodyTokenBound(
  json: Record<string, unknown>,
  bodyBytes: number | null | undefined,
): number | null {
  if (bodyBytes === null || bodyBytes === undefined || json.tools !== undefined) return null;
  return bodyBytes + framingTokens(json);
}

/** The worst case of a call whose input is `inputTokens` (counted, or an upper bound): output limit and prices. */
export function pricedWorstCase(
  w: Omit<WorstCaseInput, 'inputText' | 'countTokens'>,
  inputTokens: number,
  pricer: Pricer,
  resolution: Resolution | null = pricer.resolve(w.model, w.provider),
): WorstCase {
  const choices = positiveInt(w.json.n) ?? 1;
  const outputTokens =
    choices *
    (outputLimit(w.json) ??
      (resolution === null ? null : outputLimitOf(pricer.catalog.outputLimits, resolution)?.tokens) ??
      FALLBACK_OUTPUT_TOKENS);
  // Anthropic asks for fast mode with `speed`, beside `service_tier` (pricing/anthropic-tier.ts).
  const serviceTier = anthropicServiceTier(
    typeof w.json.service_tier === 'string' ? w.json.service_tier : null,
    w.json.speed,
  );
  // Anthropic's US-only inference is asked for in the body; a workspace default the request does not show is not seen.
  const geo = w.geo ?? anthropicGeo(w.json.inference_geo);
  const searches = searchBound(w.json);
  const rates =
    resolution === null
      ? null
      : pricer.rates(resolution, w.ts, inputTokens, serviceTier, searches?.tool ?? null, geo);
  if (rates === null) return { pico: 0n, nano: 0n, inputTokens, outputTokens, priced: false };
  // A model that prices audio apart bills a request's audio at its audio rates (OpenAI's audio models: input audio
  // parts, and output asked for as audio); the request's tokens are not split by kind here, so all are priced so.
  const audioIn = rates.input_audio > rates.input && sendsAudio(w.json);
  const writes = w.mayWriteCache || CACHES_UNASKED.has(w.provider);
  // A model that prices images apart (the GPT image models, Gemini's image models) may take and give images in any
  // request; its image rates are the bound. Elsewhere they are the text rates, and change nothing.
  const input = maxOf(
    writes ? maxOf(rates.input, rates.cache_write_5m, rates.cache_write_1h) : rates.input,
    audioIn ? rates.input_audio : 0n,
    rates.input_image,
  );
  const output = maxOf(
    rates.output_audio > rates.output && asksForAudio(w.json) ? rates.output_audio : rates.output,
    rates.output_image,
    0n,
  );
  // costOf's cost_usd for input and output tokens only (its other parts are 0), without its usage and parts objects.
  const pico =
    divRoundHalfEven(BigInt(inputTokens) * input, PART_DIVISOR) +
    divRoundHalfEven(BigInt(outputTokens) * output, PART_DIVISOR) +
    (searches === null ? 0n : webSearchFee({ web_search_requests: searches.count }, rates));
  return { pico, nano: picoToNanoUp(pico), inputTokens, outputTokens, priced: true };
}

/** Anthropic's web search tool, by its dated type (`web_search_20250305`); the Responses API's are not so dated. */
const ANTHROPIC_SEARCH_TOOL = /^web_search_\d{8}$/;

/**
 * The most web searches the request lets the provider run, each billed a fee (data/web-search.json), and the tool
 * whose fee applies. Anthropic's search tool bounds its own searches with `max_uses`; the Responses API bounds all of
 * a response's built-in tool calls together with `max_tool_calls`. Null when the request has no search tool, or one
 * it leaves unbounded: that call's searches are settled at their real fee, not reserved (docs/budgets.md).
 */
export function searchBound(json: Record<string, unknown>): { count: number; tool: string | null } | null {
  if (!Array.isArray(json.tools)) return null;
  let count = 0;
  let responses = false;
  // The Responses API prices `web_search_preview` apart (dearer on some models): a request declaring it reserves
  // at its fee, whichever of its search tools the model uses.
  let tool: string | null = null;
  for (const t of json.tools) {
    const type = (t as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') continue;
    if (ANTHROPIC_SEARCH_TOOL.test(type)) {
      const uses = positiveInt((t as { max_uses?: unknown }).max_uses);
      if (uses === null) return null;
      count += uses;
      continue;
    }
    const name = webSearchToolName(type);
    if (!name.startsWith(DEFAULT_TOOL)) continue;
    responses = true;
    if (name !== DEFAULT_TOOL) tool = name;
  }
  if (responses) {
    const calls = positiveInt(json.max_tool_calls);
    if (calls === null) return null;
    count += calls;
  }
  return count === 0 ? null : { count, tool };
}

/** Chat Completions `modalities: ["text", "audio"]`: the answer is spoken, its tokens billed as audio output. */
function asksForAudio(json: Record<string, unknown>): boolean {
  return Array.isArray(json.modalities) && json.modalities.includes('audio');
}

/** A Chat Completions message part `{type: "input_audio", input_audio: {data, format}}`, in any message. */
function sendsAudio(json: Record<string, unknown>): boolean {
  const isAudio = (part: unknown) => (part as { type?: unknown } | null)?.type === 'input_audio';
  return (
    Array.isArray(json.messages) &&
    json.messages.some((m) => {
      const content = (m as { content?: unknown } | null)?.content;
      return Array.isArray(content) && content.some(isAudio);
    })
  );
}

function framingTokens(json: Record<string, unknown>): number {
  const messages = Array.isArray(json.messages) ? json.messages.length : 0;
  const tools = Array.isArray(json.tools) && json.tools.length > 0 ? TOOL_USE_SYSTEM_PROMPT_TOKENS : 0;
  return messages * TOKENS_PER_MESSAGE + TOKENS_PER_REQUEST + tools;
}

/** The request's tool definitions as text, for counting their input tokens ('' when it has none). */
export function toolsText(json: Record<string, unknown>): string {
  return json.tools === undefined ? '' : JSON.stringify(json.tools);
}

/** The request's own output limit, whichever of the APIs' names it uses. */
export function outputLimit(json: Record<string, unknown>): number | null {
  return (
    positiveInt(json.max_completion_tokens) ??
    positiveInt(json.max_tokens) ??
    positiveInt(json.max_output_tokens)
  );
}

function positiveInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
}

function maxOf(a: bigint, b: bigint, c: bigint): bigint {
  const m = a > b ? a : b;
  return m > c ? m : c;
}
