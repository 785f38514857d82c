import { describe, expect, it } from 'vitest';
import { Rng } from '../../../sources/demo/prng.js';
import { OpenAiStreamMeter } from './stream-meter.js';

const head = '{"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":';
const usage =
  '{"prompt_tokens":100,"completion_tokens":40,"total_tokens":140,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":16}}';
const withUsage = [
  `data: ${head}[{"index":0,"delta":{"content":"héllo ✓"}}],"usage":null}\n\n`,
  `data: ${head}[{"index":0,"delta":{"content":" \\"usage\\":null"}}],"usage":null}\n\n`,
  `data: ${head}[],"usage":${usage}}\n\n`,
  'data: [DONE]\n\n',
].join('');
const asClientAsked = [
  `data: ${head}[{"index":0,"delta":{"content":"héllo ✓"}}]}\n\n`,
  `data: ${head}[{"index":0,"delta":{"content":" \\"usage\\":null"}}]}\n\n`,
  'data: [DONE]\n\n',
].join('');

function run(injected: boolean, stream: Buffer, cut: number) {
  const m = new OpenAiStreamMeter(injected);
  const out: Buffer[] = [];
  for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
    const o = m.push(part);
    if (o !== null) out.push(o);
  }
  const tail = m.end();
  if (tail !== null) out.push(tail);
  return { m, out: Buffer.concat(out).toString('utf8') };
}

describe('OpenAiStreamMeter', () => {
  const bytes = Buffer.from(withUsage, 'utf8');

  it('reads usage wherever the chunks split, even inside a UTF-8 character', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { m } = run(false, bytes, cut);
      expect(m.facts().usage).toEqual({
        input_tokens: 36,
        cache_read_tokens: 64,
        cache_write_5m_tokens: 0,
        cache_write_1h_tokens: 0,
        output_tokens: 40,
        reasoning_tokens: 16,
        web_search_requests: 0,
        input_audio_tokens: 0,
        output_audio_tokens: 0,
      });
      expect(m.facts().model).toBe('gpt-4o-2024-08-06');
    }
  });

  // https://platform.openai.com/docs/pricing (Built-in tools): each web_search_call is a billed call; the stream's
  // response.completed carries the whole response, its output items and the tools it declared.
  it('counts the web_search_call items of response.completed and names an earlier search tool', () => {
    const response = (tool: string) => ({
      id: 'resp_1',
      object: 'response',
      model: 'gpt-4o-2024-08-06',
      tools: [{ type: tool, search_context_size: 'medium' }],
      output: [
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'a' } },
        { type: 'web_search_call', id: 'ws_2', status: 'completed', action: { type: 'search', query: 'b' } },
        { type: 'message', id: 'msg_1', role: 'assistant', content: [] },
      ],
      usage: { input_tokens: 300, output_tokens: 50, input_tokens_details: { cached_tokens: 0 } },
    });
    const completed = (tool: string) =>
      Buffer.from(
        `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { ...response(tool), output: [], usage: null } })}\n\n` +
          `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: response(tool) })}\n\n`,
      );
    const preview = run(false, completed('web_search_preview_2025_03_11'), 10).m.facts();
    expect([preview.usage?.web_search_requests, preview.web_search_tool]).toEqual([2, 'web_search_preview']);
    const current = run(false, completed('web_search'), 10).m.facts();
    expect([current.usage?.web_search_requests, current.web_search_tool]).toEqual([2, null]);
  });

  // The image_generation tool's output item holds the image, base64: several MB in the final event.
  it('reads the usage of a response.completed event over 1 MiB, its image left out, and passes it unchanged', () => {
    const image = 'iVBORw0KGgo'.repeat(150_000);
    const response = {
      id: 'resp_2',
      object: 'response',
      model: 'gpt-5',
      output: [{ type: 'image_generation_call', id: 'ig_1', status: 'completed', result: image }],
      usage: { input_tokens: 2000, output_tokens: 1500, input_tokens_details: { cached_tokens: 0 } },
    };
    const text = `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response })}\n\n`;
    const stream = Buffer.from(text);
    expect(stream.length).toBeGreaterThan(1 << 20);
    const { m, out } = run(false, stream, 4096);
    expect(m.facts()).toMatchObject({ model: 'gpt-5', response_id: 'resp_2' });
    expect(m.facts().usage).toMatchObject({ input_tokens: 2000, output_tokens: 1500 });
    expect(out).toBe(text);
  });

  it('passes the stream through untouched when the client asked for usage', () => {
    for (const cut of [0, 7, 100, bytes.length]) expect(run(false, bytes, cut).out).toBe(withUsage);
  });

  it('hides injected usage: no usage chunk, no "usage":null, content untouched', () => {
    for (let cut = 0; cut <= bytes.length; cut++) expect(run(true, bytes, cut).out).toBe(asClientAsked);
  });

  it('keeps the output text for estimating an abandoned stream', () => {
    expect(run(true, bytes, 50).m.outputText()).toBe('héllo ✓ "usage":null');
  });

  // Reasoning streams in `delta.reasoning` on OpenRouter (https://openrouter.ai/docs/use-cases/reasoning-tokens), and
  // in `delta.reasoning_content` on DeepSeek and older vLLM: billed as output, so counted when the client leaves.
  it("keeps an abandoned stream's reasoning, by either name", () => {
    const reasoning = [
      `data: ${head}[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Let me think."}}]}\n\n`,
      `data: ${head}[{"index":0,"delta":{"reasoning_content":" Still thinking."}}]}\n\n`,
      `data: ${head}[{"index":0,"delta":{"content":"Yes."}}]}\n\n`,
    ].join('');
    expect(run(false, Buffer.from(reasoning), 10).m.outputText()).toBe('Let me think. Still thinking.Yes.');
  });

  // Azure opens every stream with prompt filter results under an empty id and model (recorded from a real stream,
  // https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter); OpenRouter with SSE comments.
  it("names the model from the first chunk that names one, past Azure's filter chunk and OpenRouter's comments", () => {
    const azure = [
      'data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}\n\n',
      ': OPENROUTER PROCESSING\n\n',
      'data: {"choices":[{"content_filter_results":{},"delta":{"content":"Hi"},"finish_reason":null,"index":0}],"created":1760000000,"id":"chatcmpl-1","model":"gpt-4o-2024-11-20","object":"chat.completion.chunk"}\n\n',
    ].join('');
    const m = new OpenAiStreamMeter(true);
    m.push(Buffer.from(azure, 'utf8'));
    expect(m.facts().model).toBe('gpt-4o-2024-11-20');
    expect(m.outputText()).toBe('Hi');
  });

  // The rule the meter follows on bytes, stated on text: whole events (a blank line ends one); the usage chunk we
  // asked for (empty choices) dropped; every other event without `"usage":null` and the comma joining it.
  it('hides injected usage in any spacing, framing and chunking exactly as the rule on text says', () => {
    const rng = new Rng(3);
    const next = () => rng.next();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const nullUsage = ['"usage":null', '"usage" : null', '"usage":\tnull'];
    const gap = ['', ' ', '\n ', '\r\n'];
    for (let n = 0; n < 300; n++) {
      const end = pick(['\n\n', '\r\n\r\n', '\n\r\n']);
      const events = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => {
        const u = pick(nullUsage);
        const body = `"id":"c${i}","choices":[{"delta":{"content":"${pick(['é✓', '\\"usage\\":null', 'x'])}"}}]`;
        return `data: {${next() < 0.5 ? `${u}${pick(gap)},${body}` : `${body}${pick(gap)},${pick(gap)}${u}`}}${end}`;
      });
      events.push(`data: {"id":"u","choices":[],"usage":${usage}}${end}`, `data: [DONE]${end}`);
      const text = events.join('');
      const bytes = Buffer.from(text, 'utf8');
      const cut = Math.floor(next() * bytes.length);
      const { m, out } = run(true, bytes, cut);
      const expected = events
        .filter((e) => !e.includes('"choices":[]'))
        .map((e) => e.replace(/,\s*"usage"\s*:\s*null|"usage"\s*:\s*null\s*,/g, ''))
        .join('');
      expect(out, JSON.stringify({ text, cut })).toBe(expected);
      expect(m.facts().usage?.output_tokens).toBe(40);
    }
  });
});
