import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatPng } from '../helpers/png.js';
import { brokenStreamEvent, type Harness, startHarnessWithConfig } from './helpers.js';

// https://platform.claude.com/docs/en/build-with-claude/vision — "An image uses approximately width * height / 750
// tokens": input the provider bills, which a block budget must hold before the call is sent.

let h: Harness;
let client: Anthropic;
const MODEL = 'claude-sonnet-4-20250514';

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // Room for a short text call ($3 / $15 per 1M: a few tokens in, 10 out), not for a 1092 × 1092 image (~1,590
      // tokens, $0.00477).
      '  sonnet-cap: { scope: { model: claude-sonnet-4-20250514 }, period: monthly, limit_usd: 0.004, action: block }',
      // The same room, for the images by URL and file id.
      '  sonnet45-cap: { scope: { model: claude-sonnet-4-5-20250929 }, period: monthly, limit_usd: 0.004, action: block }',
      '',
    ].join('\n'),
  );
  client = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const ask = (content: Anthropic.ContentBlockParam[]): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 10,
  messages: [{ role: 'user', content }],
});

const image = (width: number, height: number): Anthropic.ImageBlockParam => ({
  type: 'image',
  source: { type: 'base64', media_type: 'image/png', data: flatPng(width, height).toString('base64') },
});

describe('budget admission of a call that sends images (official @anthropic-ai/sdk client)', () => {
  it("counts a base64 image's tokens, by its size, in the worst case a block budget must hold", async () => {
    const text = { type: 'text' as const, text: 'Describe the image.' };
    // The image is a few kB of PNG: its bytes do not bound its tokens.
    const sent = h.fake.requests.length;
    const e = await client.messages.create(ask([image(1092, 1092), text])).catch((e: unknown) => e);
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'sonnet-cap' } },
    });
    expect(h.fake.requests.length).toBe(sent);
    // A small image fits, as the text alone does.
    await expect(client.messages.create(ask([image(64, 64), text]))).resolves.toMatchObject({
      type: 'message',
    });
  });

  // The request does not hold the size of an image by URL or Files API id, but Anthropic scales every image down to
  // the model's largest (~1,600 tokens up to Claude 4.6, $0.0048 here) before billing it.
  it('bounds an image sent by URL or Files API id by the largest image the model takes', async () => {
    const text = { type: 'text' as const, text: 'Describe the image.' };
    const send = (content: Anthropic.ContentBlockParam[]) =>
      client.messages.create({ ...ask(content), model: 'claude-sonnet-4-5-20250929' });
    const sent = h.fake.requests.length;
    for (const source of [
      { type: 'url' as const, url: 'https://example.com/photo.jpg' },
      { type: 'file' as const, file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' },
    ]) {
      const e = await send([{ type: 'image', source } as Anthropic.ImageBlockParam, text]).catch(
        (e: unknown) => e,
      );
      expect(e).toBeInstanceOf(Anthropic.RateLimitError);
      expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
        error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'sonnet45-cap' } },
      });
    }
    expect(h.fake.requests.length).toBe(sent);
    // The text alone fits.
    await expect(send([text])).resolves.toMatchObject({ type: 'message' });
  });
});

describe('the estimate of a call recorded without the usage of its input (official @anthropic-ai/sdk client)', () => {
  // A stream the upstream breaks before message_start: the provider never said what the input was.
  const broken = (content: Anthropic.ContentBlockParam[]) =>
    brokenStreamEvent(
      client.messages
        .create({ ...ask(content), model: `${MODEL}-broken-at-start`, stream: true })
        .withResponse(),
    );

  it("counts a base64 image's tokens by Anthropic's width × height / 750, beside the prompt's text", async () => {
    const text = { type: 'text' as const, text: 'Describe the image.' };
    const alone = await h.event(await broken([text]));
    const withImage = await h.event(await broken([image(200, 150), text]));
    expect(withImage).toMatchObject({
      status: 'error',
      error_type: 'upstream_stream_broken',
      cost_source: 'estimated',
    });
    // 200 × 150 / 750 = 40 tokens: the estimate, not the 48 patches (⌈200/28⌉ × ⌈150/28⌉) admission bounds it by.
    expect(withImage.input_tokens - alone.input_tokens).toBe(40);
  });

  it('counts a base64 image larger than the model takes at the size Anthropic scales it down to', async () => {
    const text = { type: 'text' as const, text: 'Describe the image.' };
    const alone = await h.event(await broken([text]));
    const large = await h.event(await broken([image(3000, 2000), text]));
    // 3000 × 2000 / 750 would be 8,000 tokens; Claude Sonnet 4 bills it as its largest image, ~1,600.
    expect(large.input_tokens - alone.input_tokens).toBe(1_600);
  });

  it('counts an image by URL at the largest image the model takes (~1,600 tokens up to Claude 4.6)', async () => {
    const text = { type: 'text' as const, text: 'Describe the image.' };
    const alone = await h.event(await broken([text]));
    const byUrl = await h.event(
      await broken([{ type: 'image', source: { type: 'url', url: 'https://example.com/photo.jpg' } }, text]),
    );
    expect(byUrl.input_tokens - alone.input_tokens).toBe(1_600);
  });
});
