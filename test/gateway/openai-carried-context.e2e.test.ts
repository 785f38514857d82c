import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAI_USAGE } from './fake-provider.js';
import {
  backgroundMadeElsewhere,
  brokenStreamEvent,
  type Harness,
  refusedByBudget,
  startHarnessWithConfig,
} from './helpers.js';

// https://platform.openai.com/docs/guides/conversation-state: a Responses call that names `previous_response_id`, or a
// `conversation`, is billed the earlier turns again as input; its body holds none of them.

let h: Harness;
let client: OpenAI;

/** What a response of the fake provider hands on: its input (cached included) and its output. */
const HANDED = OPENAI_USAGE.prompt + OPENAI_USAGE.completion;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // One model each, so that each test stands alone. A response of the fake costs $0.0067 on gpt-4o ($2.50 / $10
      // per 1M) and $0.0048 on gpt-4.1 ($2 / $8); after it, $0.0023 and $0.0017 are left: room for a short call
      // (~$0.0002), not for one that carries its 1,920 tokens (~$0.0050, ~$0.0040).
      '  gpt4o-cap: { scope: { model: gpt-4o }, period: monthly, limit_usd: 0.009, action: block }',
      '  gpt41-cap: { scope: { model: gpt-4.1 }, period: monthly, limit_usd: 0.0065, action: block }',
      // 128,000 unseen tokens on gpt-4o-mini ($0.15 per 1M) are $0.0192.
      '  mini-cap: { scope: { model: gpt-4o-mini }, period: monthly, limit_usd: 0.01, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const ask = (model: string, more: Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming> = {}) =>
  client.responses.create({ model, input: 'And then?', max_output_tokens: 16, ...more });

describe('budget admission of a Responses call that goes on from earlier turns (official openai client)', () => {
  it("counts the previous response's input and output, which `previous_response_id` bills again", async () => {
    const first = await ask('gpt-4o');
    const sent = h.fake.requests.length;
    await refusedByBudget(ask('gpt-4o', { previous_response_id: first.id }));
    expect(h.fake.requests.length).toBe(sent);
    // The same call without the earlier turn fits.
    await expect(ask('gpt-4o')).resolves.toMatchObject({ object: 'response' });
  });

  it("counts a conversation's items, then its earlier responses, which `conversation` bills again", async () => {
    // Made through the gateway: its items are read on their way (their JSON's bytes bound their tokens).
    const conv = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'Remember the number 7.' }],
    });
    await expect(ask('gpt-4.1', { conversation: conv.id })).resolves.toMatchObject({ object: 'response' });
    await refusedByBudget(ask('gpt-4.1', { conversation: { id: conv.id } }));
  });

  it('bounds a response or conversation this process never saw, whose size it cannot know, by 128,000 tokens', async () => {
    await refusedByBudget(ask('gpt-4o-mini', { previous_response_id: 'resp_made_before_a_restart' }));
    await refusedByBudget(ask('gpt-4o-mini', { conversation: 'conv_made_outside_the_gateway' }));
    await expect(ask('gpt-4o-mini')).resolves.toMatchObject({ object: 'response' });
  });

  it('counts what a response made outside the gateway handed on, once a retrieve through it saw the response finish', async () => {
    const made = await backgroundMadeElsewhere(h, 'gpt-4o-mini');
    await refusedByBudget(ask('gpt-4o-mini', { previous_response_id: made }));
    let status: string | undefined = 'queued';
    while (status !== 'completed') status = (await client.responses.retrieve(made)).status;
    // Its ~2,000 tokens, not 128,000, at $0.15 per 1M: within the cap.
    await expect(ask('gpt-4o-mini', { previous_response_id: made })).resolves.toMatchObject({
      object: 'response',
    });
  });
});

describe('the estimate of a Responses call recorded without its usage (official openai client)', () => {
  const broken = (more: Partial<OpenAI.Responses.ResponseCreateParamsStreaming>) =>
    brokenStreamEvent(
      client.responses
        .create({ model: 'gpt-5-broken-at-start', input: 'And then?', stream: true, ...more })
        .withResponse(),
    );

  it('counts the input and output of the response it goes on from, when this process recorded that one', async () => {
    const first = await client.responses.create({ model: 'gpt-5', input: 'Hello' });
    const alone = await h.event(await broken({}));
    const after = await h.event(await broken({ previous_response_id: first.id }));
    expect(after).toMatchObject({ status: 'error', error_type: 'upstream_stream_broken' });
    expect(after.input_tokens - alone.input_tokens).toBe(HANDED);
    // One it never saw is not guessed at in an estimate.
    const unseen = await h.event(await broken({ previous_response_id: 'resp_made_elsewhere' }));
    expect(unseen.input_tokens).toBe(alone.input_tokens);
  });
});
