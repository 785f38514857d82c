import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarnessWithConfig } from './helpers.js';

// Embeddings' `input` and completions' `prompt` may be token ids instead of text
// (https://platform.openai.com/docs/api-reference/embeddings/create), as tiktoken-based clients send them: input
// the provider bills, one token an id, with no text to count.

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // $0.02 per 1M input tokens: room for 500 tokens.
      '  embed-cap: { scope: { model: text-embedding-3-small }, period: monthly, limit_usd: 0.00001, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

describe('budget admission of an input sent as token ids (official openai client)', () => {
  it('counts one token an id in the worst case a block budget must hold', async () => {
    const sent = h.fake.requests.length;
    const e = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: [Array.from({ length: 1000 }, () => 1)] })
      .catch((e: unknown) => e);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect((e as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      code: 'GW_BUDGET_EXCEEDED',
    });
    expect(h.fake.requests.length).toBe(sent);
    // A few ids fit.
    await expect(
      client.embeddings.create({ model: 'text-embedding-3-small', input: [[1, 2, 3]] }),
    ).resolves.toMatchObject({ object: 'list' });
  });
});
