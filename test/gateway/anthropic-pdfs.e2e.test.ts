import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressedPdf, sealedPdf, textPdf } from '../helpers/pdf.js';
import { brokenStreamEvent, type Harness, startHarnessWithConfig } from './helpers.js';

// https://platform.claude.com/docs/en/build-with-claude/pdf-support, "Estimate your costs": each page of a PDF is
// billed its extracted text ("typically 1,500-3,000 tokens per page") and an image of the page. A PDF is a few
// hundred bytes a page, in the body as base64 the prompt text leaves out: its bytes bound nothing.

let h: Harness;
let client: Anthropic;
const MODEL = 'claude-sonnet-4-20250514';

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // $3 / $15 per 1M: room for one page at its bound (3,000 text + 1,600 image tokens, $0.0138), never for two,
      // after the two one-page calls below have spent what the fake provider reports ($0.0078 each).
      '  sonnet-cap: { scope: { model: claude-sonnet-4-20250514 }, period: monthly, limit_usd: 0.03, action: block }',
      '',
    ].join('\n'),
  );
  client = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const text = { type: 'text' as const, text: 'Summarise the document.' };

const ask = (content: Anthropic.ContentBlockParam[]): Anthropic.MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 10,
  messages: [{ role: 'user', content }],
});

const pdf = (bytes: Buffer): Anthropic.DocumentBlockParam => ({
  type: 'document',
  source: { type: 'base64', media_type: 'application/pdf', data: bytes.toString('base64') },
});

const pages = (n: number): string[] => Array.from({ length: n }, (_, i) => `Page ${i + 1} of the report`);

async function refused(content: Anthropic.ContentBlockParam[]): Promise<void> {
  const sent = h.fake.requests.length;
  const e = await client.messages.create(ask(content)).catch((e: unknown) => e);
  expect(e).toBeInstanceOf(Anthropic.RateLimitError);
  expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
    error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'sonnet-cap' } },
  });
  expect(h.fake.requests.length).toBe(sent);
}

describe('budget admission of a call that sends a PDF (official @anthropic-ai/sdk client)', () => {
  it("counts a base64 PDF's pages in the worst case a block budget must hold", async () => {
    await expect(client.messages.create(ask([pdf(textPdf(pages(1))), text]))).resolves.toMatchObject({
      type: 'message',
    });
    await refused([pdf(textPdf(pages(2))), text]);
  });

  it('counts the pages of a PDF whose page objects are in a compressed object stream', async () => {
    await expect(client.messages.create(ask([pdf(compressedPdf(pages(1))), text]))).resolves.toMatchObject({
      type: 'message',
    });
    await refused([pdf(compressedPdf(pages(2))), text]);
  });

  it('bounds the pages of a PDF it cannot read (an encrypted one) by its size', async () => {
    // 1 page in ~700 bytes, taken as up to 7.
    await refused([pdf(sealedPdf(pages(1))), text]);
  });

  it('bounds a PDF by URL or Files API id, whose pages the request does not hold, by the most pages a request takes', async () => {
    await refused([
      { type: 'document', source: { type: 'url', url: 'https://example.com/report.pdf' } },
      text,
    ]);
    await refused([
      { type: 'document', source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' } },
      text,
    ]);
    await expect(client.messages.create(ask([text]))).resolves.toMatchObject({ type: 'message' });
  });
});

describe('the estimate of a call with a PDF recorded without the usage of its input (official @anthropic-ai/sdk client)', () => {
  // A stream the upstream breaks before message_start: the provider never said what the input was.
  const broken = (content: Anthropic.ContentBlockParam[]) =>
    brokenStreamEvent(
      client.messages
        .create({ ...ask(content), model: 'claude-haiku-4-5-broken-at-start', stream: true })
        .withResponse(),
    );

  it("counts a base64 PDF's pages at Anthropic's ~7,000 tokens for 3 pages, beside the prompt's text", async () => {
    const alone = await h.event(await broken([text]));
    const withPdf = await h.event(await broken([pdf(textPdf(pages(2))), text]));
    expect(withPdf).toMatchObject({
      status: 'error',
      error_type: 'upstream_stream_broken',
      cost_source: 'estimated',
    });
    expect(withPdf.input_tokens - alone.input_tokens).toBe(2 * 2_334);
  });
});
