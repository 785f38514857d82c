import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import { IMAGE_B64, IMAGE_EDIT_USAGE, IMAGE_USAGE, IMAGE_USAGE_DETAILED } from './fake-provider.js';
import { type Harness, refusedByBudget, startHarnessWithConfig } from './helpers.js';

// The Images API (https://platform.openai.com/docs/api-reference/images) through the gateway with the official openai
// client: generations (JSON), edits and variations (multipart/form-data), streamed or not. The GPT image models
// report token usage, the images' tokens apart (`input_tokens_details.image_tokens`, `output_tokens_details`);
// dall-e-2 and dall-e-3 report none (billed per image). The fake answers as OpenAI does.

function expectImageTokens(e: UsageEvent, input: number, output: number): void {
  expect(e).toMatchObject({ input_image_tokens: input, output_image_tokens: output });
}

let h: Harness;
let client: OpenAI;
/** A client whose calls a block budget of $1 holds (the budget's team). */
let budgeted: OpenAI;

// Image bytes with line breaks and a boundary-like run in them, which must reach the upstream unchanged.
const PNG = Buffer.concat([
  Buffer.from('89504e470d0a1a0a', 'hex'),
  Buffer.from('\r\n\r\n--boundary\r\nname="model"\r\n'),
  Buffer.alloc(2048, 7),
]);
const png = (name = 'cat.png') => toFile(PNG, name, { type: 'image/png' });

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'models:',
      '  aliases: { painter: gpt-image-1 }',
      'budgets:',
      '  imaging: { scope: { team: imaging }, period: monthly, limit_usd: 1, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
  budgeted = new OpenAI({
    apiKey: 'sk-caller',
    baseURL: `${h.server.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-tokenledger-team': 'imaging' },
  });
});
afterAll(() => h.close());

const eventOf = (response: Response) => h.event(response.headers.get('x-tokenledger-event-id')!);

describe('image generations (POST /v1/images/generations)', () => {
  it('meters a generation from its usage, every output token an image token, and passes the answer unchanged', async () => {
    const { data, response } = await client.images
      .generate({ model: 'gpt-image-1', prompt: 'a lighthouse at dusk', size: '1024x1024', quality: 'high' })
      .withResponse();
    expect(data.data?.[0]?.b64_json).toBe(IMAGE_B64);
    expect(JSON.parse(h.fake.requests.at(-1)!.body)).toMatchObject({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
    });
    const e = await eventOf(response);
    expect(e).toMatchObject({
      operation: 'image',
      status: 'ok',
      error_type: null,
      cost_source: 'computed',
      model_requested: 'gpt-image-1',
      input_tokens: IMAGE_USAGE.input_tokens,
      output_tokens: IMAGE_USAGE.output_tokens,
      cache_read_tokens: 0,
      reasoning_tokens: 0,
    });
    // gpt-image-1's answers carry no output_tokens_details: its output is the image's.
    expectImageTokens(e, 0, IMAGE_USAGE.output_tokens);
    // genai-prices 0.1.8: gpt-image-1 at $5 per 1M text input and $40 per 1M output (its image output rate):
    // 50 × 5 + 4,160 × 40 = $0.16665.
    expect(e.cost_usd).toBe(166_650_000_000n);
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.166650000000');
  });

  it('meters an answer over 1 MiB (ten images) from its usage, read without the images, and sends it byte for byte', async () => {
    const { data, response } = await client.images
      .generate({ model: 'gpt-image-1', prompt: 'ten lighthouses', n: 10 })
      .withResponse();
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(1 << 20);
    expect(data.data?.map((d) => d.b64_json)).toEqual(Array(10).fill(IMAGE_B64));
    const e = await eventOf(response);
    expect(e).toMatchObject({
      status: 'ok',
      error_type: null,
      input_tokens: IMAGE_USAGE.input_tokens,
      output_tokens: IMAGE_USAGE.output_tokens,
    });
    expect(e.cost_usd).toBe(166_650_000_000n);
  });

  it('takes the image tokens from output_tokens_details where the answer splits its output (gpt-image-1.5)', async () => {
    const { response } = await client.images
      .generate({ model: 'gpt-image-1.5', prompt: 'a lighthouse at dusk' })
      .withResponse();
    const e = await eventOf(response);
    const u = IMAGE_USAGE_DETAILED;
    expect(e).toMatchObject({
      operation: 'image',
      status: 'ok',
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
    });
    expectImageTokens(e, 0, u.output_tokens_details.image_tokens);
    // gpt-image-1.5 bills its image output apart: 50 × $5 + 40 text × $10 + 4,160 image × $32 per 1M = $0.13377,
    // where every output token at the text rate would have been $0.04225.
    expect(e.cost_usd).toBe(133_770_000_000n);
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.133770000000');
  });

  it('records dall-e-3, which reports no usage (billed per image), as usage missing and unpriced', async () => {
    const { data, response } = await client.images
      .generate({ model: 'dall-e-3', prompt: 'a lighthouse at dusk' })
      .withResponse();
    expect(data.data?.[0]?.url).toMatch(/^https:/);
    const e = await eventOf(response);
    expect(e).toMatchObject({
      operation: 'image',
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'unpriced',
      cost_usd: null,
      output_tokens: 0,
    });
    expect(response.headers.get('x-tokenledger-cost-usd')).toBeNull();
  });

  it('meters a streamed generation from its image_generation.completed event, the stream passed unchanged', async () => {
    const { data, response } = await client.images
      .generate({ model: 'gpt-image-1', prompt: 'a lighthouse at dusk', stream: true, partial_images: 2 })
      .withResponse();
    const events: { type: string; b64_json: string }[] = [];
    for await (const event of data) events.push(event);
    expect(events.map((x) => x.type)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    expect(events.every((x) => x.b64_json === IMAGE_B64)).toBe(true);
    const e = await eventOf(response);
    expect(e).toMatchObject({
      operation: 'image',
      status: 'ok',
      error_type: null,
      cost_source: 'computed',
      input_tokens: IMAGE_USAGE.input_tokens,
      output_tokens: IMAGE_USAGE.output_tokens,
    });
    expectImageTokens(e, 0, IMAGE_USAGE.output_tokens);
    expect(e.cost_usd).not.toBeNull();
    expect(e.ttft_ms).not.toBeNull();
  });

  it('records a stream the client leaves before its completed event as aborted, its input estimated, no output known', async () => {
    const ac = new AbortController();
    const { data, response } = await client.images
      .generate(
        { model: 'gpt-image-1-hang', prompt: 'a lighthouse at dusk', stream: true, partial_images: 1 },
        { signal: ac.signal },
      )
      .withResponse();
    await (async () => {
      for await (const _ of data) ac.abort();
    })().catch(() => {});
    const e = await h.recorded(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({
      operation: 'image',
      status: 'aborted',
      error_type: 'client_disconnected',
      output_tokens: 0,
    });
    // The prompt's tokens, counted with the tokenizer. (The fake's `-hang` model has no price: its cost is unknown.)
    expect(e.input_tokens).toBeGreaterThan(0);
    expectImageTokens(e, 0, 0);
  });

  it('refuses a generation that names no model (the API picks one by its parameters): 400 GW_BAD_REQUEST', async () => {
    const err = await client.images.generate({ prompt: 'a lighthouse' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('GW_BAD_REQUEST');
  });
});

describe('image edits (POST /v1/images/edits, multipart/form-data)', () => {
  it('meters an edit, its input images apart, and sends the images byte for byte', async () => {
    const { data, response } = await client.images
      .edit({ model: 'gpt-image-1', image: await png(), mask: await png('mask.png'), prompt: 'add a boat' })
      .withResponse();
    expect(data.data?.[0]?.b64_json).toBe(IMAGE_B64);
    const sent = h.fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/images/edits');
    expect(sent.form!.fields).toMatchObject({ model: 'gpt-image-1', prompt: 'add a boat' });
    expect(sent.form!.file!.equals(PNG)).toBe(true);
    const e = await eventOf(response);
    const u = IMAGE_EDIT_USAGE;
    expect(e).toMatchObject({
      operation: 'image',
      status: 'ok',
      error_type: null,
      cost_source: 'computed',
      model_requested: 'gpt-image-1',
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
    });
    expectImageTokens(e, u.input_tokens_details.image_tokens, u.output_tokens);
    // The input images at gpt-image-1's $10 per 1M image input, the prompt at $5, the image out at $40:
    // 50 × 5 + 323 × 10 + 1,056 × 40 = $0.04572.
    expect(e.cost_usd).toBe(45_720_000_000n);
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.045720000000');
  });

  it('sends the model an alias names, rewriting only that field of the form (several images)', async () => {
    const { response } = await client.images
      .edit({ model: 'painter', image: [await png('a.png'), await png('b.png')], prompt: 'merge them' })
      .withResponse();
    const sent = h.fake.requests.at(-1)!.form!;
    expect(sent.fields).toEqual({ model: 'gpt-image-1', prompt: 'merge them' });
    expect(sent.file!.equals(PNG)).toBe(true);
    expect(await eventOf(response)).toMatchObject({ model_requested: 'gpt-image-1', status: 'ok' });
  });

  it('meters a streamed edit from its image_edit.completed event', async () => {
    const { data, response } = await client.images
      .edit({
        model: 'gpt-image-1',
        image: await png(),
        prompt: 'add a boat',
        stream: true,
        partial_images: 1,
      })
      .withResponse();
    const types: string[] = [];
    for await (const event of data) types.push(event.type);
    expect(types).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    const e = await eventOf(response);
    const u = IMAGE_EDIT_USAGE;
    expect(e).toMatchObject({
      operation: 'image',
      status: 'ok',
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
    });
    expectImageTokens(e, u.input_tokens_details.image_tokens, u.output_tokens);
  });
});

describe('image variations (POST /v1/images/variations, dall-e-2)', () => {
  it('records a variation under dall-e-2 when the form names no model, with no usage (dall-e-2 reports none): unpriced', async () => {
    const { data, response } = await client.images.createVariation({ image: await png() }).withResponse();
    expect(data.data?.[0]?.url).toMatch(/^https:/);
    const sent = h.fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/images/variations');
    // Sent as it came: the upstream applies its own default.
    expect(sent.form!.fields.model).toBeUndefined();
    expect(sent.form!.file!.equals(PNG)).toBe(true);
    const e = await eventOf(response);
    expect(e).toMatchObject({
      operation: 'image',
      model_requested: 'dall-e-2',
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'unpriced',
      cost_usd: null,
      output_tokens: 0,
    });
    expect(response.headers.get('x-tokenledger-cost-usd')).toBeNull();
  });
});

describe('budget admission of image calls', () => {
  // gpt-image-1 reserves per image asked for its fallback output bound (16,384 tokens at $40 per 1M: $0.65536): one
  // image fits the $1 budget, two do not, asked for in JSON or in a form's text field.
  it('admits one image and refuses two, whether `n` comes in JSON or in a form', async () => {
    const { response } = await budgeted.images
      .generate({ model: 'gpt-image-1', prompt: 'a lighthouse' })
      .withResponse();
    expect(await eventOf(response)).toMatchObject({ status: 'ok', team: 'imaging' });
    const sent = h.fake.requests.length;
    await refusedByBudget(budgeted.images.generate({ model: 'gpt-image-1', prompt: 'a lighthouse', n: 2 }));
    await refusedByBudget(
      budgeted.images.edit({ model: 'gpt-image-1', image: await png(), prompt: 'add a boat', n: 2 }),
    );
    expect(h.fake.requests.length).toBe(sent);
  });
});
