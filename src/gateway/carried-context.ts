import type { UsageEvent } from '../ledger/event.js';
import { obj } from './providers/provider.js';

/**
 * Tokens a call that continues an unseen response reserves for what it carries: GPT-4o's context window, the most a
 * conversation on it can hold. A guess, as the output limit's fallback is (worst-case.ts): a longer one, on a model
 * with a larger window, is settled at its real cost.
 */
export const UNSEEN_CONTEXT_TOKENS = 128_000;
/** Responses and conversations remembered at most: an agent goes on from its latest response, not from old ones. */
const REMEMBERED = 50_000;

/**
 * The context an OpenAI Responses call carries without holding it (https://platform.openai.com/docs/guides/
 * conversation-state): a `previous_response_id` bills that response's input and output again as input, and a
 * `conversation` bills its items, which are the input and output of the responses made in it. Neither is in the request
 * body, so a budget's worst case would leave them out. This remembers, for the stored responses the gateway recorded
 * and for their conversations, how many tokens they hand on: the response's whole input and output.
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
    this.remember(`r:${responseId}`, handed);
    const conversation = conversationId(json);
    if (conversation !== null) this.remember(`c:${conversation}`, handed);
  }

  /**
   * The input tokens a request carries from the response and conversation it names, for budget admission's worst
   * case. A response not seen by this process (made before a restart, through another instance, or outside the
   * gateway) counts UNSEEN_CONTEXT_TOKENS; a conversation not seen counts nothing: most are new (made through the
   * Conversations API, which the gateway forwards without reading), their first response the first to fill them.
   */
  bound(json: Record<string, unknown>): number {
    return this.carried(json, UNSEEN_CONTEXT_TOKENS);
  }

  /** The same, for the input of a call recorded without its usage: a response not seen counts nothing (no guess). */
  estimate(json: Record<string, unknown>): number {
    return this.carried(json, 0);
  }

  private carried(json: Record<string, unknown>, unseenResponse: number): number {
    let n = 0;
    const previous = json.previous_response_id;
    if (typeof previous === 'string') n += this.tokens.get(`r:${previous}`) ?? unseenResponse;
    const conversation = conversationId(json);
    if (conversation !== null) n += this.tokens.get(`c:${conversation}`) ?? 0;
    return n;
  }

  private remember(key: string, tokens: number): void {
    this.tokens.delete(key);
    this.tokens.set(key, tokens);
    if (this.tokens.size > REMEMBERED) this.tokens.delete(this.tokens.keys().next().value!);
  }
}

/** `conversation`: its id, or an object with it (https://platform.openai.com/docs/api-reference/responses/create). */
function conversationId(json: Record<string, unknown>): string | null {
  const c = json.conversation;
  if (typeof c === 'string') return c;
  const id = obj(c)?.id;
  return typeof id === 'string' ? id : null;
}
