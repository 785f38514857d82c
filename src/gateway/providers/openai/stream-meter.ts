import { eachEvent, eachEventSpan, parseEvent, type SseEvent, SseSplitter } from '../../sse.js';
import {
  emptyFacts,
  jsonOrNull,
  obj,
  type ResponseFacts,
  type StreamError,
  type StreamMeter,
  str,
} from '../provider.js';
import { openAiFacts } from './usage.js';

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const FINAL_NAMES = ['response.completed', 'response.incomplete', 'response.failed'];
const FINAL_RESPONSE_EVENTS = new Set(FINAL_NAMES);
const COMMA = 0x2c;
const COLON = 0x3a;
const BRACE = 0x7b;

/**
 * Meters an OpenAI-compatible SSE stream. Only events that can carry usage are JSON-parsed (chat's final usage chunk,
 * the Responses API's final event), and only the bytes holding one are split into events and decoded at all: the
 * rest goes on as it came, decoded only if the client aborts and output must be counted.
 *
 * When we injected `include_usage`, the client must not see its effects: the extra usage chunk (empty `choices`)
 * is dropped and the `"usage":null` that every other chunk then carries is removed, so only whole events are
 * forwarded in that mode.
 */
export class OpenAiStreamMeter implements StreamMeter {
  private readonly splitter = new SseSplitter();
  /** The bytes of every whole event so far, as the splitter gave them. */
  private readonly seen: Buffer[] = [];
  private result: ResponseFacts = emptyFacts();
  /** The error code of a `response.failed` event, read when its final usage is. */
  private failed: string | null = null;

  constructor(private readonly injected: boolean) {}

  push(chunk: Buffer): Buffer | null {
    const done = this.splitter.completed(chunk);
    if (done.length === 0) return this.injected ? null : chunk;
    this.seen.push(done);
    // Searched as latin1, one character a byte, so that a position in the text is the same in the bytes.
    const text = done.toString('latin1');
    const members = usageMembers(text);
    const final = FINAL_NAMES.some((name) => text.includes(name));
    const dropped: number[] = [];
    if (members.objects.length !== 0 || final)
      eachEventSpan(done, (start, end) => {
        const holds = (i: number) => i >= start && i < end;
        if (
          !members.objects.some(holds) &&
          !(final && FINAL_NAMES.some((name) => holds(text.indexOf(name, start))))
        )
          return;
        if (!this.read(parseEvent(done.toString('utf8', start, end)))) dropped.push(start, end);
      });
    if (!this.injected) return chunk;
    return cut(done, dropped.length === 0 ? members.nulls : withDropped(members.nulls, dropped));
  }

  /** Reads an event that may carry usage; false when it is the usage chunk we asked for, which the client must not see. */
  private read(e: SseEvent): boolean {
    if (
      !(e.data.includes('"usage"') && USAGE_OBJECT.test(e.data)) &&
      !(e.event !== null && FINAL_RESPONSE_EVENTS.has(e.event))
    )
      return true;
    const parsed = jsonOrNull(e.data);
    if (obj(parsed)?.type === 'response.failed')
      this.failed = str(obj(obj(obj(parsed)?.response)?.error)?.code) ?? 'response_failed';
    const facts = openAiFacts(parsed);
    if (facts.usage === null) return true;
    this.result = facts;
    const choices = obj(parsed)?.choices;
    return !(this.injected && Array.isArray(choices) && choices.length === 0);
  }

  end(): Buffer | null {
    const rest = this.splitter.end();
    return this.injected && rest.length !== 0 ? rest : null;
  }

  /**
   * The model named by the usage event, else by the first event that names one: Azure opens a stream with a chunk
   * of prompt filter results whose `model` is "", and OpenRouter with `: OPENROUTER PROCESSING` comments.
   */
  facts(): ResponseFacts {
    if (this.result.model === null)
      for (const e of this.events()) {
        const o = obj(jsonOrNull(e.data));
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
        found = streamErrorType(jsonOrNull(e.data)) ?? found;
    return found === null ? null : { type: found, usageFinal: false };
  }

  usageComplete(): boolean {
    return this.result.usage !== null;
  }

  outputText(): string {
    const parts: string[] = [];
    for (const { data } of this.events()) {
      const o = obj(jsonOrNull(data));
      if (o === null) continue;
      if (typeof o.delta === 'string') parts.push(o.delta);
      if (!Array.isArray(o.choices)) continue;
      for (const c of o.choices) {
        const choice = obj(c);
        if (typeof choice?.text === 'string') parts.push(choice.text);
        const delta = obj(choice?.delta);
        if (typeof delta?.content === 'string') parts.push(delta.content);
        // Reasoning, billed as output: `reasoning_content` (DeepSeek, vLLM), `reasoning` (OpenRouter, Ollama).
        if (typeof delta?.reasoning_content === 'string') parts.push(delta.reasoning_content);
        if (typeof delta?.reasoning === 'string') parts.push(delta.reasoning);
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
    for (const bytes of this.seen) eachEvent(bytes, (e) => e.data !== '[DONE]' && all.push(e));
    return all;
  }
}

/**
 * The type of an error reported in the stream: chat's `{"error":{"type",…}}` chunk (OpenAI and compatible servers
 * such as vLLM), or the Responses API's `error` event (`{"type":"error","code",…}`). `response.failed` is read
 * with the final usage it carries, in push.
 */
export function streamErrorType(parsed: unknown): string | null {
  const o = obj(parsed);
  if (o === null) return null;
  if (o.type === 'error') return str(o.code) ?? str(obj(o.error)?.type) ?? 'stream_error';
  const err = obj(o.error);
  return err === null ? null : (str(err.type) ?? str(err.code) ?? 'stream_error');
}

/**
 * The `"usage"` members of `text`: where each `"usage":null` is to be cut with the comma that joins it to its
 * neighbour (pairs of start and end, as `/,\s*"usage"\s*:\s*null|"usage"\s*:\s*null\s*,/g` would match them), and
 * where each usage object is. Strings in JSON escape their quotes, so an unescaped `"usage"` can only be a member's
 * name.
 */
function usageMembers(text: string): { nulls: number[]; objects: number[] } {
  const nulls: number[] = [];
  const objects: number[] = [];
  let from = 0;
  for (let i = text.indexOf('"usage"'); i !== -1; i = text.indexOf('"usage"', i + 7)) {
    const v = valueAt(text, i + 7);
    if (v === -1) continue;
    if (text.charCodeAt(v) === BRACE) objects.push(i);
    if (!text.startsWith('null', v)) continue;
    const after = v + 4;
    let before = i - 1;
    while (before >= from && isSpace(text.charCodeAt(before))) before--;
    if (before >= from && text.charCodeAt(before) === COMMA) {
      nulls.push(before, after);
      from = after;
      continue;
    }
    let next = after;
    while (isSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COMMA) {
      nulls.push(i, next + 1);
      from = next + 1;
    }
  }
  return { nulls, objects };
}

/**
 * The dropped events and the cuts of null usage outside them, in order (all pairs of offsets, each list in order; a
 * cut never spans two events).
 */
function withDropped(nulls: number[], dropped: number[]): number[] {
  const out: number[] = [];
  let n = 0;
  for (let d = 0; d < dropped.length; d += 2) {
    for (; n < nulls.length && nulls[n]! < dropped[d]!; n += 2) out.push(nulls[n]!, nulls[n + 1]!);
    out.push(dropped[d]!, dropped[d + 1]!);
    while (n < nulls.length && nulls[n]! < dropped[d + 1]!) n += 2;
  }
  for (; n < nulls.length; n += 2) out.push(nulls[n]!, nulls[n + 1]!);
  return out;
}

/** `b` without the ranges given as pairs of offsets, in order. */
function cut(b: Buffer, ranges: number[]): Buffer | null {
  if (ranges.length === 0) return b;
  const kept: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > from) kept.push(b.subarray(from, ranges[i]));
    from = ranges[i + 1]!;
  }
  if (from < b.length) kept.push(b.subarray(from));
  return kept.length === 0 ? null : Buffer.concat(kept);
}

/** Where the value of the member whose name ends at `i` begins (past spaces, the colon, spaces); -1 if no colon. */
function valueAt(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== COLON) return -1;
  i++;
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** JSON's whitespace (what `\s` matches between the tokens of valid JSON). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
