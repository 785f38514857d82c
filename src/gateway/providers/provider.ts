import type { IncomingHttpHeaders } from 'node:http';

/**
 * Token counts read from a provider's response, in the ledger's convention (input excludes cache; audio tokens are
 * parts of input and output), and the web searches its server-side tool ran (each billed a fee:
 * pricing/web-search.ts).
 */
export interface MeteredUsage {
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  web_search_requests: number;
  /**
   * The input (cache included) of the answer itself, when the counts above also hold work reported beside it
   * (Anthropic's compaction iterations): the long-context tier is judged by it (tag CONTEXT_INPUT_TAG).
   */
  context_input_tokens?: number;
  /** Absent where the API has no audio. */
  input_audio_tokens?: number;
  output_audio_tokens?: number;
  /** Image tokens among input and output (the Images API's GPT image models); absent where the API has none. */
  input_image_tokens?: number;
  output_image_tokens?: number;
  /**
   * Milliseconds of audio billed by its duration (a whisper-1 answer's `usage.seconds` × 1000, rounded to the ms);
   * absent (0) for a call billed by tokens. The event's `audio_ms` (gateway/record.ts).
   */
  audio_ms?: number;
}

/** Usage with every count 0 (the optional parts absent, which is 0): what an estimate or a duration fills in. */
export const NO_USAGE: Readonly<MeteredUsage> = Object.freeze({
  input_tokens: 0,
  cache_read_tokens: 0,
  cache_write_5m_tokens: 0,
  cache_write_1h_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  web_search_requests: 0,
});

/** The usage of a call billed by the duration of its audio alone: `ms` of it, no tokens. */
export const durationUsage = (ms: number): MeteredUsage => ({ ...NO_USAGE, audio_ms: ms });

/** What metering learns from a whole response or a finished stream. */
export interface ResponseFacts {
  usage: MeteredUsage | null;
  /** The model the provider says answered (often a dated snapshot of the one requested). */
  model: string | null;
  service_tier: string | null;
  response_id: string | null;
  /**
   * What the provider said the call cost, when it says (OpenRouter's `usage.cost`), in pico-dollars. Kept beside
   * ours (`provider_cost_usd`), never instead of it.
   */
  provider_cost_usd?: bigint | null;
  /** Where the call ran when that costs extra (Anthropic's usage.inference_geo `us`), for the event's tag. */
  inference_geo?: string | null;
  /**
   * The web search tool the call declared when it is not the provider's current one (the Responses API's
   * `web_search_preview`, priced apart on some models), for the event's tag WEB_SEARCH_TOOL_TAG.
   */
  web_search_tool?: string | null;
}

const API_TYPES = ['openai', 'anthropic'] as const;
export type ApiType = (typeof API_TYPES)[number];

const OPERATIONS = [
  'chat',
  'responses',
  'compact',
  'completions',
  'embeddings',
  'messages',
  'count_tokens',
  'realtime',
  'transcription',
  'translation',
  'image',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * Reads an SSE stream on the side. `push` returns the bytes to forward: the chunk itself when the client sees the
 * stream unchanged (the common case, no copy), or the rewritten complete events when metering changed the request.
 */
export interface StreamMeter {
  push(chunk: Buffer): Buffer | null;
  /** Whatever is still held when the upstream ends. */
  end(): Buffer | null;
  facts(): ResponseFacts;
  /**
   * An error the upstream reported inside the stream, which ends it after a 200 (Anthropic's `error` event, OpenAI's
   * error chunk, the Responses API's `error` or `response.failed` event).
   */
  error(): StreamError | null;
  /**
   * The stream reached the event that carries its final usage (OpenAI: the usage chunk or the Responses API's final
   * event; Anthropic: `message_delta`). A stream that ended without it has its output estimated.
   */
  usageComplete(): boolean;
  /** Output text seen so far, for estimating tokens of a stream the client abandoned. */
  outputText(): string;
}

export interface StreamError {
  /** The error type, for the event's `error_type`. */
  type: string;
  /** The usage reported with it is the call's whole usage (`response.failed`); otherwise the output is estimated. */
  usageFinal: boolean;
}

/** The request after metering's changes. */
export interface PreparedRequest {
  body: Buffer;
  stream: boolean;
  /** We asked for usage the client did not: the meter must hide it again. */
  injectedUsage: boolean;
}

/** One wire format (OpenAI-compatible or Anthropic): how to read keys, requests, responses and streams. */
export interface Provider {
  readonly type: ApiType;
  /** The caller's own provider key, if it sent one. */
  callerKey(headers: IncomingHttpHeaders): string | null;
  /** Headers that carry a provider key upstream. */
  authHeaders(key: string): Record<string, string>;
  /** Header names that carry keys: never forwarded as received when a virtual key is used, never logged. */
  readonly keyHeaders: readonly string[];
  /**
   * The request as sent upstream. `askUsage` false: an upstream that refused the usage option metering adds
   * (OpenAI's `stream_options`; usageOptionRefused) gets the body as the client wrote it.
   */
  prepare(op: Operation, raw: Buffer, json: Record<string, unknown>, askUsage: boolean): PreparedRequest;
  /**
   * Whether an upstream's answer to a body with the usage option added refuses that option (Azure's api-versions
   * before 2024-09-01-preview answer 400 "Unrecognized request argument supplied: stream_options").
   */
  usageOptionRefused?(status: number, body: Buffer): boolean;
  readJson(op: Operation, json: unknown): ResponseFacts;
  streamMeter(op: Operation, injectedUsage: boolean): StreamMeter;
  /** Input text of a request, for estimating the input of a stream aborted before usage arrived. */
  inputText(json: Record<string, unknown>): string;
  /** Input tokens a request sends as token ids rather than text (OpenAI's embeddings and completions), for the same. */
  inputTokenIds?(json: Record<string, unknown>): number;
  /**
   * Input tokens of the request's images and files (a PDF is billed a text and an image a page), which its text
   * leaves out, for budget admission's worst case; `model` is the model sent upstream (OpenAI bills an image by model
   * family). Absent where the wire format's images are not counted.
   */
  inputImageTokens?(json: Record<string, unknown>, model: string): number;
  /**
   * Input tokens of the request's images and files as the provider's documented estimate, for the input of a call
   * recorded without its usage (which its text leaves out); absent where inputImageTokens is.
   */
  estimatedImageTokens?(json: Record<string, unknown>, model: string): number;
}

export function emptyFacts(): ResponseFacts {
  return { usage: null, model: null, service_tier: null, response_id: null };
}

/** A non-negative integer from a provider's JSON, or 0. */
export function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** A provider's JSON text (a body, an SSE event's data), or null when it is not JSON: metering reads what it can. */
export function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * The prompt text in request fields, for counting input tokens: every string, and every part's `text`, found
 * through arrays and `content` (OpenAI's messages and input items, Anthropic's system blocks and messages alike), and
 * the tool calls and results of earlier turns, input too: chat's `tool_calls[].function.arguments`, the Responses
 * API's `function_call` arguments and `function_call_output` output (a string or parts), the values of Anthropic's
 * `tool_use` input; and an Anthropic document's text, in its source (a plain-text source's `data`, a content
 * source's `content`), with its `title` and `context`. Each is a JSON string of the body, as worst-case.ts's bodyTokenBound requires.
 */
export function promptText(...fields: unknown[]): string {
  return textsIn(fields, (o, parts, more) => {
    if (typeof o.text === 'string') parts.push(o.text);
    // A plain-text source (`{type: "text", media_type: "text/plain", data}`); a PDF's base64 `data` is not text.
    else if (o.type === 'text' && typeof o.data === 'string') parts.push(o.data);
    if (o.type === 'document') {
      // Its title and context are read beside its content (citations: "not used towards cited content"), as input.
      if (typeof o.title === 'string') parts.push(o.title);
      if (typeof o.context === 'string') parts.push(o.context);
      more(o.source);
    }
    // An earlier turn's tool call (Anthropic's tool_use, server_tool_use): the values of its `input`, strings of the
    // body (a file an agent wrote is sent again on every later turn); the names of its keys are left out.
    if ((o.type === 'tool_use' || o.type === 'server_tool_use') && obj(o.input) !== null)
      more(Object.values(o.input as Record<string, unknown>));
    more(o.content);
    more(o.tool_calls);
    more(o.function);
    if (typeof o.arguments === 'string') parts.push(o.arguments);
    more(o.output);
  });
}

/**
 * The answer's text in a response body, for counting output tokens when the upstream reported no usage: OpenAI's
 * `choices` (chat messages, their reasoning and tool calls' arguments, completions' text), the Responses API's
 * `output` items and Anthropic's `content` blocks (text, thinking, tool input).
 */
export function answerText(body: unknown): string {
  const o = obj(body);
  if (o === null) return '';
  // A transcription's answer is its top-level `text` (the Responses API's `text` is an object: its format).
  const transcript = typeof o.text === 'string' ? o.text : undefined;
  return textsIn([o.choices, o.output, o.content, transcript], (x, parts, more) => {
    for (const k of ANSWER_KEYS) more(x[k]);
    if (x.type === 'tool_use' && x.input !== undefined) parts.push(JSON.stringify(x.input));
  });
}

/**
 * Calls `visit` on every object in `roots`, through arrays and the values `visit` returns (the fields to go on
 * into), in no set order. A stack of its own, not recursion: a request may nest content deeply.
 */
export function eachObject(
  roots: unknown[],
  visit: (o: Record<string, unknown>) => readonly unknown[],
): void {
  const stack = [...roots];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else {
      const o = obj(v);
      if (o !== null) for (const x of visit(o)) stack.push(x);
    }
  }
}

/**
 * Every string in `values`, through arrays, and what `visit` takes from each object, joined by newlines, in document
 * order. A stack of its own, not recursion: a request may nest arrays 100,000 deep, and the call's stack would
 * overflow where the provider answers 400. What `visit` pushes and asks `more` of is taken in the order given.
 */
function textsIn(
  values: unknown[],
  visit: (o: Record<string, unknown>, parts: string[], more: (v: unknown) => void) => void,
): string {
  const parts: string[] = [];
  const stack: unknown[] = values.toReversed();
  const next: unknown[] = [];
  // A string pushed by `visit` is a string among the object's children: both go on the stack in order.
  const nextParts = next as string[];
  const more = (v: unknown): void => {
    next.push(v);
  };
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    else {
      const o = obj(v);
      if (o === null) continue;
      visit(o, nextParts, more);
      while (next.length > 0) stack.push(next.pop());
    }
  }
  return parts.join('\n');
}

const ANSWER_KEYS = [
  'message',
  'text',
  'content',
  // A chat message's reasoning, billed as output: OpenRouter's and Ollama's `reasoning`, DeepSeek's and vLLM's
  // `reasoning_content`.
  'reasoning',
  'reasoning_content',
  'thinking',
  'tool_calls',
  'function',
  'arguments',
] as const;
