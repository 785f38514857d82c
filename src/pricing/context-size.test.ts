import { describe, expect, it } from 'vitest';
import { CONTEXT_INPUT_TAG, LONG_CONTEXT_TAG } from '../ledger/event.js';
import { contextInput } from './context-size.js';

describe('contextInput', () => {
  it("judges one call by its total input, or by the answer's own context when the event says it holds more", () => {
    expect(contextInput({ requests: 1, tags: {} }, 202_166)).toBe(202_166);
    // An Anthropic call that compacted its context: its tokens include the compaction's (gateway).
    expect(contextInput({ requests: 1, tags: { [CONTEXT_INPUT_TAG]: '3166' } }, 202_166)).toBe(3166);
    // Not a count: ignored.
    for (const bad of ['', '-1', '1e6', '3166.5', '1234567890123456'])
      expect(contextInput({ requests: 1, tags: { [CONTEXT_INPUT_TAG]: bad } }, 202_166)).toBe(202_166);
    // A source that knows the side of the threshold wins.
    expect(
      contextInput({ requests: 1, tags: { [LONG_CONTEXT_TAG]: 'false', [CONTEXT_INPUT_TAG]: '300000' } }, 1),
    ).toBe(0);
  });
});
