import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textPdf } from '../helpers/pdf.js';
import { brokenStreamEvent, type Harness, refusedByBudget, startHarnessWithConfig } from './helpers.js';

// https://platform.openai.com/docs/guides/pdf-files: a PDF puts "both extracted text and an image of each page" into
// the model's context. A PDF is a few hundred bytes a page, in the body as base64 the prompt text leaves out.

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'budgets:',
      // $2.50 / $10 per 1M: room for one page at its bound (3,000 text + 1,445 image tokens, $0.0111), never for
      // two ($0.0222); after a one-page call has spent what the fake provider reports ($0.0067), for a short text
      // call only. The Responses calls go to gpt-4.1 ($2 / $8, the same image rule) under a budget of their own, so
      // that each test stands alone: one page $0.0089, two $0.0178.
      '  chat-cap: { scope: { model: gpt-4o }, period: monthly, limit_usd: 0.02, action: block }',
      '  responses-cap: { scope: { model: gpt-4.1 }, period: monthly, limit_usd: 0.016, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const pages = (n: number): string[] => Array.from({ length: n }, (_, i) => `Page ${i + 1} of the report`);
const pdfData = (n: number) => `data:application/pdf;base64,${textPdf(pages(n)).toString('base64')}`;
const text = { type: 'text' as const, text: 'Summarise the document.' };

const chat = (content: OpenAI.ChatCompletionContentPart[]) =>
  client.chat.completions.create({
    model: 'gpt-4o',
    max_completion_tokens: 10,
    messages: [{ role: 'user', content }],
  });
const chatPdf = (n: number): OpenAI.ChatCompletionContentPart => ({
  type: 'file',
  file: { filename: 'report.pdf', file_data: pdfData(n) },
});
const respond = (file: OpenAI.Responses.ResponseInputFile) =>
  client.responses.create({
    model: 'gpt-4.1',
    max_output_tokens: 16,
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'Summarise the document.' }, file] }],
  });

describe('budget admission of a call that sends a file (official openai client)', () => {
  it("counts a base64 PDF's pages in the worst case a block budget must hold: Chat Completions `file` parts", async () => {
    const sent = h.fake.requests.length;
    await expect(chat([chatPdf(1), text])).resolves.toMatchObject({ object: 'chat.completion' });
    await refusedByBudget(chat([chatPdf(2), text]));
    expect(h.fake.requests.length).toBe(sent + 1);
  });

  it('and Responses `input_file` items', async () => {
    const sent = h.fake.requests.length;
    await expect(
      respond({ type: 'input_file', filename: 'report.pdf', file_data: pdfData(1) }),
    ).resolves.toMatchObject({ object: 'response' });
    await refusedByBudget(respond({ type: 'input_file', filename: 'report.pdf', file_data: pdfData(2) }));
    expect(h.fake.requests.length).toBe(sent + 1);
  });

  it('bounds a file by id or URL, whose pages the request does not hold, by the most pages a request takes', async () => {
    const sent = h.fake.requests.length;
    await refusedByBudget(chat([{ type: 'file', file: { file_id: 'file-6F2ksmvXxt4VdoqmHRw6kL' } }, text]));
    await refusedByBudget(respond({ type: 'input_file', file_url: 'https://example.com/report.pdf' }));
    expect(h.fake.requests.length).toBe(sent);
    await expect(chat([text])).resolves.toMatchObject({ object: 'chat.completion' });
  });
});

describe('the estimate of a call with a file recorded without the usage of its input (official openai client)', () => {
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

  it("counts a base64 PDF's pages at Anthropic's measured ~2,334 tokens a page, beside the prompt's text", async () => {
    const alone = await h.event(await broken([text]));
    const withPdf = await h.event(await broken([chatPdf(2), text]));
    expect(withPdf).toMatchObject({ status: 'error', error_type: 'upstream_stream_broken' });
    expect(withPdf.input_tokens - alone.input_tokens).toBe(2 * 2_334);
  });
});
