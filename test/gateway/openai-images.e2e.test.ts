import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatPng } from '../helpers/png.js';
import { brokenStreamEvent, type Harness, refusedByBudget, startHarnessWithConfig } from './helpers.js';

// https://platform.openai.com/docs/guides/images-vision, "Calculating costs": an image is billed as input tokens by
// its size, its `detail` and the model's family (gpt-4o: 85 + 170 per 512 px tile; 1024 × 1024 at high is 765).

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // Room for a short text call ($2.50 / $10 per 1M: a few tokens in, 10 out) and a low-detail image (85 tokens,
      // $0.0002), not for a 1024 × 1024 image at high detail (765 tokens, $0.0019).
      '  gpt4o-cap: { scope: { model: gpt-4o }, period: monthly, limit_usd: 0.001, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const dataUrl = (width: number, height: number) =>
  `data:image/png;base64,${flatPng(width, height).toString('base64')}`;

const chatImage = (detail: 'low' | 'high'): OpenAI.ChatCompletionContentPart => ({
  type: 'image_url',
  image_url: { url: dataUrl(1024, 1024), detail },
});
const text = { type: 'text' as const, text: 'Describe the image.' };

describe('budget admission of a call that sends images (official openai client)', () => {
  it("counts a base64 image's tokens, by its size and detail, in the worst case a block budget must hold", async () => {
    // The image is a few kB of PNG: its bytes do not bound its tokens.
    const sent = h.fake.requests.length;
    const ask = (content: OpenAI.ChatCompletionContentPart[]) =>
      client.chat.completions.create({
        model: 'gpt-4o',
        max_completion_tokens: 10,
        messages: [{ role: 'user', content }],
      });
    await refusedByBudget(ask([chatImage('high'), text]));
    // The Responses API's input_image, the same image.
    await refusedByBudget(
      client.responses.create({
        model: 'gpt-4o',
        max_output_tokens: 16,
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Describe the image.' },
              { type: 'input_image', image_url: dataUrl(1024, 1024), detail: 'high' },
            ],
          },
        ],
      }),
    );
    expect(h.fake.requests.length).toBe(sent);
    // The same image at detail low is 85 tokens: it fits, as the text alone does.
    await expect(ask([chatImage('low'), text])).resolves.toMatchObject({ object: 'chat.completion' });
  });
});

describe('the estimate of a call recorded without the usage of its input (official openai client)', () => {
  // A stream the upstream breaks before its first chunk: the provider never said what the input was.
  const broken = (content: OpenAI.ChatCompletionContentPart[]) =>
    brokenStreamEvent(
      client.chat.completions
        .create({
          model: 'gpt-4o-broken-at-start',
          max_completion_tokens: 10,
          messages: [{ role: 'user', content }],
          stream: true,
        })
        .withResponse(),
    );

  it("counts a base64 image's tokens by OpenAI's documented rule, beside the prompt's text", async () => {
    const alone = await h.event(await broken([text]));
    const withImage = await h.event(await broken([chatImage('high'), text]));
    expect(withImage).toMatchObject({ status: 'error', error_type: 'upstream_stream_broken' });
    // 1024 × 1024 → 768 × 768: 4 tiles, 85 + 4 × 170 = 765 tokens (gpt-4o's rule, for a model name OpenAI does not list).
    expect(withImage.input_tokens - alone.input_tokens).toBe(765);
  });
});
