import { anthropicGeo, anthropicServiceTier } from '../../../pricing/anthropic-tier.js';
import { eachEvent, SseSplitter } from '../../sse.js';
import {
  emptyFacts,
  jsonOrNull,
  obj,
  type ResponseFacts,
  type StreamError,
  type StreamMeter,
  str,
} from '../provider.js';
import { anthropicUsage } from './usage.js';

const USAGE_EVENTS = [Buffer.from('message_start'), Buffer.from('message_delta')];
const MESSAGE_STOP = Buffer.from('message_stop');

/**
 * Meters an Anthropic Messages stream. `message_start` carries the input and cache usage, each `message_delta`
 * carries usage *cumulative* so far: fields are taken from the last event that has them, never summed. The client
 * always sees the stream unchanged.
 */
export class AnthropicStreamMeter implements StreamMeter {
  private readonly splitter = new SseSplitter();
  /** The bytes of every whole event so far, as the splitter gave them: parsed only to count an abandoned stream. */
  private readonly seen: Buffer[] = [];
  private usage: Record<string, unknown> | null = null;
  private result: ResponseFacts = emptyFacts();
  /** A message_delta with usage came: the stream reached its final usage. */
  private final = false;

  push(chunk: Buffer): Buffer {
    const done = this.splitter.completed(chunk);
    if (done.length === 0) return chunk;
    this.seen.push(done);
    // Usage comes only in message_start and message_delta: the many content deltas are not split or parsed.
    if (!USAGE_EVENTS.some((name) => done.includes(name))) return chunk;
    eachEvent(done, (e) => {
      if (e.event === 'message_start' || e.event === 'message_delta') {
        const data = obj(jsonOrNull(e.data));
        const message = obj(data?.message);
        const usage = obj(message?.usage) ?? obj(data?.usage);
        // Anthropic's message_delta always carries the output so far; one without it (an Anthropic-compatible
        // server's) says nothing of the output, and taking it as final would leave message_start's placeholder 1.
        if (e.event === 'message_delta' && usage !== null) this.final = true;
        if (message !== null)
          this.result = {
            ...this.result,
            model: str(message.model),
            response_id: str(message.id),
          };
        if (usage !== null) {
          this.usage = { ...this.usage, ...withoutNulls(usage) };
          this.result = {
            ...this.result,
            usage: anthropicUsage(this.usage),
            service_tier: anthropicServiceTier(str(this.usage.service_tier), this.usage.speed),
            inference_geo: anthropicGeo(this.usage.inference_geo),
          };
        }
      }
    });
    return chunk;
  }

  end(): null {
    this.splitter.end();
    return null;
  }

  facts(): ResponseFacts {
    return this.result;
  }

  /**
   * The `error` event an overloaded API ends a stream with after its 200, in place of message_stop: also after a
   * message_delta (the call still failed, as its client saw). Looked for only in a stream that did not end with
   * message_stop, so a stream that went well costs nothing more.
   */
  error(): StreamError | null {
    if (this.stopped()) return null;
    let found: string | null = null;
    for (const bytes of this.seen)
      eachEvent(bytes, (e) => {
        if (e.event === 'error') found = str(obj(obj(jsonOrNull(e.data))?.error)?.type) ?? 'stream_error';
      });
    // The usage before it is not the call's whole: message_start's output_tokens is a placeholder, and a
    // message_delta's is the output so far.
    return found === null ? null : { type: found, usageFinal: false };
  }

  /** The last whole events hold message_stop, the event a stream ends with when nothing went wrong. */
  private stopped(): boolean {
    const last = this.seen.at(-1);
    if (last === undefined || !last.includes(MESSAGE_STOP)) return false;
    let stop = false;
    eachEvent(last, (e) => {
      stop = e.event === 'message_stop';
    });
    return stop;
  }

  /** message_start's usage alone is not the call's: its output_tokens is a placeholder (1). */
  usageComplete(): boolean {
    return this.final;
  }

  outputText(): string {
    const deltas: string[] = [];
    for (const bytes of this.seen)
      eachEvent(bytes, (e) => e.event === 'content_block_delta' && deltas.push(e.data));
    const parts: string[] = [];
    for (const d of deltas) {
      const delta = obj(obj(jsonOrNull(d))?.delta);
      for (const k of ['text', 'thinking', 'partial_json'] as const)
        if (typeof delta?.[k] === 'string') parts.push(delta[k] as string);
    }
    return parts.join('');
  }
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k] = v;
  return out;
}
