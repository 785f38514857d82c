import type { UsageEvent } from '../ledger/event.js';
import { obj } from './providers/provider.js';

/**
 * Tokens a call that continues an unseen response or conversation reserves for what it carries: GPT-4o's context
 * window, the most a conversation on it can hold. A guess, as the output limit's fallback is (worst-case.ts): a longer
 * one, on a model with a larger window, is settled at its real cost.
 */
export const UNSEEN_CONTEXT_TOKENS = 128_000;
/** Responses and conversations remembered at most: an agent goes on from its latest response, not from old ones. */
const REMEMBERED = 50_000;

/**
 * The context an OpenAI Responses call carries without holding it (https://platform.openai.com/docs/guides/
 * conversation-state): a `previous_response_id` bills that response's input and output again as input, and a
 * `conversation` bills its items, which are the input and output of the responses made in it. Neither is in the request
 * body, so a budget's worst case would leave them out. This remembers, for the stored responses the gateway recorded
 * and for their conversations, how many tokens they hand on: the response's whole input and output; and for a
 * conversation made or added to through the gateway (the Conversations API, forwarded), at most what its items hold:
 * their JSON's bytes, never fewer than their text's tokens (byte-level BPE) and the framing of their messages.
 */
export class CarriedContext {
  private readonly tokens = new Map<string, number>();

  /** After a Responses call (`json`, its request) is recorded as `event`, under the response id it was answered with. */
  record(json: Record<string, unknown>, responseId: string | null, event: UsageEvent): void {
    if (responseId === null || json.store === false) return;
    const handed =
      event.input_tokens +
      event.cache_read_tokens +
      event.cache_write_5m_tokens +
      event.cache_write_1h_tokens +
      event.output_tokens;
    // A response that reports no usage (cancelled before it ran) still holds its input items, of a size not known.
    if (handed === 0) return;
    this.remember(`r:${responseId}`, handed);
    const conversation = conversationId(json);
    if (conversation !== null) this.remember(`c:${conversation}`, handed);
  }

  /** A conversation made through the gateway (`POST /v1/conversations`) with these initial `items`. */
  opened(conversation: string, items: unknown): void {
    this.remember(`c:${conversation}`, itemsBound(items));
  }

  /** `items` added to a conversation (`POST /v1/conversations/{id}/items`): to what it holds, when that is known. */
  added(conversation: string, items: unknown): void {
    const held = this.tokens.get(`c:${conversation}`);
    if (held !== undefined) this.remember(`c:${conversation}`, held + itemsBound(items));
  }

  /**
   * The input tokens a request carries from the response and conversation it names, for budget admission's worst
   * case: one not seen by this process (made before a restart, through another instance, or outside the gateway)
   * counts UNSEEN_CONTEXT_TOKENS.
   */
  bound(json: Record<string, unknown>): number {
    return this.carried(json, UNSEEN_CONTEXT_TOKENS);
  }

  /** The same, for the input of a call recorded without its usage: one not seen counts nothing (no guess is made). */
  estimate(json: Record<string, unknown>): number {
    return this.carried(json, 0);
  }

  private carried(json: Record<string, unknown>, unseen: number): number {
    let n = 0;
    const previous = json.previous_response_id;
    if (typeof previous === 'string') n += this.tokens.get(`r:${previous}`) ?? unseen;
    const conversation = conversationId(json);
    if (conversation !== null) n += this.tokens.get(`c:${conversation}`) ?? unseen;
    return n;
  }

  private remember(key: string, tokens: number): void {
    this.tokens.delete(key);
    this.tokens.set(key, tokens);
    if (this.tokens.size > REMEMBERED) this.tokens.delete(this.tokens.keys().next().value!);
  }
}

/** The UTF-8 bytes of the items' JSON (none: 0). */
function itemsBound(items: unknown): number {
  return items === undefined ? 0 : Buffer.byteLength(JSON.stringify(items), 'utf8');
}

/** `conversation`: its id, or an object with it (https://platform.openai.com/docs/api-reference/responses/create). */
function conversationId(json: Record<string, unknown>): string | null {
  const c = json.conversation;
  if (typeof c === 'string') return c;
  const id = obj(c)?.id;
  return typeof id === 'string' ? id : null;
}
