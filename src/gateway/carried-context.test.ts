import { describe, expect, it } from 'vitest';
import { makeEvent } from '../store/testing/event-factory.js';
import { CarriedContext, UNSEEN_CONTEXT_TOKENS } from './carried-context.js';

const event = makeEvent(1, { input_tokens: 100, cache_read_tokens: 900, output_tokens: 50 });
const HANDED = 100 + 900 + 50;

describe('what a Responses call carries from the turns it goes on from', () => {
  it("is the named response's input and output; the conversation's latest response's", () => {
    const c = new CarriedContext();
    c.record({ conversation: { id: 'conv_1' } }, 'resp_1', event);
    expect(c.bound({ previous_response_id: 'resp_1' })).toBe(HANDED);
    expect(c.bound({ conversation: 'conv_1' })).toBe(HANDED);
    expect(c.estimate({ previous_response_id: 'resp_1' })).toBe(HANDED);
    expect(c.bound({ input: 'a new thread' })).toBe(0);
  });

  it("of a conversation made or added to through the gateway, is at most its items' JSON bytes until a response", () => {
    const c = new CarriedContext();
    const items = [{ type: 'message', role: 'user', content: 'Remember the number 7.' }];
    const bytes = JSON.stringify(items).length;
    c.opened('conv_1', items);
    expect(c.bound({ conversation: 'conv_1' })).toBe(bytes);
    c.added('conv_1', items);
    expect(c.bound({ conversation: 'conv_1' })).toBe(2 * bytes);
    // Added to one never seen: still unknown.
    c.added('conv_2', items);
    expect(c.bound({ conversation: 'conv_2' })).toBe(UNSEEN_CONTEXT_TOKENS);
    // Its response holds the items: from then on, the response's input and output.
    c.record({ conversation: 'conv_1' }, 'resp_1', event);
    expect(c.bound({ conversation: 'conv_1' })).toBe(HANDED);
  });

  it('is not remembered for a response not stored (`store: false`), which no call can go on from', () => {
    const c = new CarriedContext();
    c.record({ store: false }, 'resp_2', event);
    expect(c.bound({ previous_response_id: 'resp_2' })).toBe(UNSEEN_CONTEXT_TOKENS);
    expect(c.estimate({ previous_response_id: 'resp_2' })).toBe(0);
  });

  it('is not known from a response that reports no usage (cancelled before it ran), whose input items it still holds', () => {
    const c = new CarriedContext();
    c.record(
      { conversation: 'conv_3' },
      'resp_3',
      makeEvent(2, { input_tokens: 0, cache_read_tokens: 0, output_tokens: 0 }),
    );
    expect(c.bound({ previous_response_id: 'resp_3' })).toBe(UNSEEN_CONTEXT_TOKENS);
    expect(c.bound({ conversation: 'conv_3' })).toBe(UNSEEN_CONTEXT_TOKENS);
  });

  it('forgets the least recently recorded past 50,000 responses', () => {
    const c = new CarriedContext();
    for (let i = 0; i <= 50_000; i++) c.record({}, `resp_${i}`, event);
    expect(c.bound({ previous_response_id: 'resp_0' })).toBe(UNSEEN_CONTEXT_TOKENS);
    expect(c.bound({ previous_response_id: 'resp_1' })).toBe(HANDED);
  });
});
