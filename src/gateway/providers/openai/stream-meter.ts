import { eachEvent, type SseEvent, SseSplitter } from '../../sse.js';
import { emptyFacts, obj, type ResponseFacts, type StreamError, type StreamMeter, str } from '../provider.js';
import { openAiFacts } from './usage.js';

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const NULL_USAGE = /,\s*"usage"\s*:\s*null|"usage"\s*:\s*null\s*,/g;
const FINAL_RESPONSE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** Text that may hold one of FINAL_RESPONSE_EVENTS (their `event:` line, or their `type` in the data). */
const FINAL_RESPONSE_EVENT = /response\.(?:completed|incomplete|failed)/;

/**
 * Meters an OpenAI-compatible SSE stream. Only events that can carry usage are JSON-parsed (chat's final usage chunk,
 * the Responses API's final event), and only the text holding one is split into events at all: the rest is kept as
 * text, parsed only if the client aborts and output must be counted.
 *
 * When we injected `include_usage`, the client must not see its effects: the extra usage chunk (empty `choices`)
 * is dropped and the `"usage":null` that every other chunk then carries is removed, so only whole events are
 * forwarded in that mode.
 */
export class OpenAiStreamMeter implements StreamMeter {
  private readonly splitter = new SseSplitter();
  /** The text of every whole event so far, as the splitter gave it. */
  private readonly seen: string[] = [];
  private result: ResponseFacts = emptyFacts();
  /** The error code of a `response.failed` event, read when its final usage is. */
  private failed: string | null = null;

  constructor(private readonly injected: boolean) {}

  push(chunk: Buffer): Buffer | null {
    const text = this.splitter.completed(chunk);
    if (text !== '') this.seen.push(text);
    if (!USAGE_OBJECT.test(text) && !FINAL_RESPONSE_EVENT.test(text)) {
      if (!this.injected) return chunk;
      return text === '' ? null : Buffer.from(stripNullUsage(text), 'utf8');
    }
    let out = '';
    eachEvent(text, (e) => {
      let forward = true;
      if (
        (e.data.includes('"usage"') && USAGE_OBJECT.test(e.data)) ||
        (e.event !== null && FINAL_RESPONSE_EVENTS.has(e.event))
      ) {
        const parsed = safeParse(e.data);
        if (obj(parsed)?.type === 'response.failed')
          this.failed = str(obj(obj(obj(parsed)?.response)?.error)?.code) ?? 'response_failed';
        const facts = openAiFacts(parsed);
        if (facts.usage !== null) {
          this.result = facts;
          const choices = obj(parsed)?.choices;
          if (this.injected && Array.isArray(choices) && choices.length === 0) forward = false;
        }
      }
      if (forward) out += this.injected ? stripNullUsage(e.raw) : e.raw;
    });
    if (!this.injected) return chunk;
    return out === '' ? null : Buffer.from(out, 'utf8');
  }

  end(): Buffer | null {
    const rest = this.splitter.end();
    return this.injected && rest !== '' ? Buffer.from(rest, 'utf8') : null;
  }

  /**
   * The model named by the usage event, else by the first event that names one: Azure opens a stream with a chunk
   * of prompt filter results whose `model` is "", and OpenRouter with `: OPENROUTER PROCESSING` comments.
   */
  facts(): ResponseFacts {
    if (this.result.model === null)
      for (const e of this.events()) {
        const o = obj(safeParse(e.data));
        const model = str(o?.model) ?? str(obj(o?.response)?.model);
        if (model !== null) return { ...this.result, model };
      }
    return this.result;
  }

  /**
   * Looked for only in a stream that ended without usage (we always ask for it, and a failed stream never sends it),
   * so a stream that went well costs nothing more.
   */
  error(): StreamError | null {
    if (this.failed !== null) return { type: this.failed, usageFinal: this.result.usage !== null };
    if (this.result.usage !== null) return null;
    let found: string | null = null;
    for (const e of this.events())
      if (e.event === 'error' || e.data.includes('"error"'))
        found = streamErrorType(safeParse(e.data)) ?? found;
    return found === null ? null : { type: found, usageFinal: false };
  }

  usageComplete(): boolean {
    return this.result.usage !== null;
  }

  outputText(): string {
    const parts: string[] = [];
    for (const { data } of this.events()) {
      const o = obj(safeParse(data));
      if (o === null) continue;
      if (typeof o.delta === 'string') parts.push(o.delta);
      if (!Array.isArray(o.choices)) continue;
      for (const c of o.choices) {
        const choice = obj(c);
        if (typeof choice?.text === 'string') parts.push(choice.text);
        const delta = obj(choice?.delta);
        if (typeof delta?.content === 'string') parts.push(delta.content);
        if (typeof delta?.reasoning_content === 'string') parts.push(delta.reasoning_content);
        if (Array.isArray(delta?.tool_calls))
          for (const t of delta.tool_calls) {
            const args = obj(obj(t)?.function)?.arguments;
            if (typeof args === 'string') parts.push(args);
          }
      }
    }
    return parts.join('');
  }

  /** Every whole event so far but `[DONE]`. */
  private events(): SseEvent[] {
    const all: SseEvent[] = [];
    for (const text of this.seen) eachEvent(text, (e) => e.data !== '[DONE]' && all.push(e));
    return all;
  }
}

/**
 * The type of an error reported in the stream: chat's `{"error":{"type",…}}` chunk (OpenAI and compatible servers
 * such as vLLM), or the Responses API's `error` event (`{"type":"error","code",…}`). `response.failed` is read
 * with the final usage it carries, in push.
 */
function streamErrorType(parsed: unknown): string | null {
  const o = obj(parsed);
  if (o === null) return null;
  if (o.type === 'error') return str(o.code) ?? str(obj(o.error)?.type) ?? 'stream_error';
  const err = obj(o.error);
  return err === null ? null : (str(err.type) ?? str(err.code) ?? 'stream_error');
}

/** Strings in JSON escape their quotes, so an unescaped `"usage":null` can only be the chunk's own field. */
function stripNullUsage(raw: string): string {
  return raw.includes('"usage"') ? raw.replace(NULL_USAGE, '') : raw;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
