import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, refusedByBudget, startHarnessWithConfig } from './helpers.js';

// https://platform.openai.com/docs/pricing, "Built-in tools": web search is $10 per 1,000 calls. The Responses API's
// `max_tool_calls` is "the maximum number of total calls to built-in tools that can be processed in a response".

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // A gpt-5 answer of the fake is ~$0.005 of tokens; each search $0.01.
      '  search-cap: { scope: { model: gpt-5 }, period: monthly, limit_usd: 0.025, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const search = (max_tool_calls: number) => {
  // The API takes max_tool_calls on create; the SDK's Response type has it, its create parameters (6.30) not yet.
  const body: OpenAI.Responses.ResponseCreateParamsNonStreaming & { max_tool_calls: number } = {
    model: 'gpt-5',
    input: 'hi',
    max_output_tokens: 16,
    tools: [{ type: 'web_search' }],
    max_tool_calls,
  };
  return client.responses.create(body);
};

describe('budget admission of a Responses call that may search the web (official openai client)', () => {
  it('holds $10 per 1,000 of the tool calls max_tool_calls allows, and counts those it ran', async () => {
    // 3 searches are $0.03: more than the $0.025 cap, before any spend.
    await refusedByBudget(search(3));
    // 1 is $0.01: it fits, and the fake runs one.
    const { response } = await search(1).withResponse();
    const spent = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(spent.web_search_requests).toBe(1);
    // Left after its fee and tokens (~$0.0149): less than one more search and its tokens.
    await refusedByBudget(search(1));
  });
});
