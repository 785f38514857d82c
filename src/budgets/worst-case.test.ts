import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPricer } from '../pricing/load.js';
import { FALLBACK_OUTPUT_TOKENS } from '../pricing/output-limits.js';
import type { Pricer } from '../pricing/pricer.js';
import { nanoToUsd, picoToNanoUp, usdToNanoDown } from './nano.js';
import { countPromptTokens as countTokens } from './prompt-tokens.js';
import { outputLimit, pricedWorstCase, searchBound, type WorstCaseInput, worstCase } from './worst-case.js';

let pricer: Pricer;
beforeAll(async () => {
  pricer = await loadPricer({ cwd: tmpdir(), env: {} });
});

const TS = Date.parse('2026-05-01T00:00:00Z') * 1000;

function input(json: Record<string, unknown>, over: Partial<WorstCaseInput> = {}): WorstCaseInput {
  return {
    json,
    inputText: 'hello world',
    provider: 'openai',
    model: String(json.model),
    ts: TS,
    mayWriteCache: false,
    countTokens,
    ...over,
  };
}
const chat = (extra: Record<string, unknown>) => ({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'hello world' }],
  ...extra,
});

describe('worstCase (gpt-4o: $2.50 input, $10 output per 1M tokens)', () => {
  it('"hello world" is 2 tokens, + 4 for the message + 3 for the reply = 9 input; 100 output', async () => {
    const w = await worstCase(input(chat({ max_tokens: 100 })), pricer);
    expect(w).toMatchObject({ inputTokens: 9, outputTokens: 100, priced: true });
    // 9 × 2.5 + 100 × 10 = 1022.5 micro-dollars.
    expect(w.pico).toBe(1_022_500_000n);
    expect(w.nano).toBe(1_022_500n);
  });

  it('max_completion_tokens wins over max_tokens; n multiplies the output', async () => {
    const w = await worstCase(input(chat({ max_tokens: 5000, max_completion_tokens: 50, n: 2 })), pricer);
    expect(w.outputTokens).toBe(100);
    expect(w.nano).toBe(1_022_500n);
  });

  it('no limit in the request: the model’s own output limit (gpt-4o: 16,384)', async () => {
    const w = await worstCase(input(chat({})), pricer);
    expect(w.outputTokens).toBe(16_384);
    // 9 × 2.5 + 16384 × 10 = 163,862.5 micro-dollars.
    expect(w.nano).toBe(163_862_500n);
  });

  it('no limit in the request to gpt-5: its 128,000 output tokens, not the fallback', async () => {
    const w = await worstCase(input(chat({ model: 'gpt-5-2025-08-07' })), pricer);
    expect(w.outputTokens).toBe(128_000);
    // gpt-5: $1.25 input, $10 output per 1M: 9 × 1.25 + 128,000 × 10 = 1,280,011.25 micro-dollars.
    expect(w.nano).toBe(1_280_011_250n);
  });

  it('no limit in the request to a model the limits file does not list: the documented fallback', async () => {
    const json = { model: 'deepseek-chat', messages: [{ role: 'user', content: 'hello world' }] };
    const w = await worstCase(input(json, { provider: 'deepseek' }), pricer);
    expect(w.outputTokens).toBe(FALLBACK_OUTPUT_TOKENS);
  });

  it('a request that may write the prompt cache pays the dearest input rate (Claude 1h write: 2 × $3)', async () => {
    const json = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      messages: [{ role: 'user', content: 'hello world' }],
    };
    const plain = await worstCase(input(json, { provider: 'anthropic' }), pricer);
    // 9 × 3 + 1000 × 15 = 15,027 micro-dollars.
    expect(plain.nano).toBe(15_027_000n);
    const cached = await worstCase(input(json, { provider: 'anthropic', mayWriteCache: true }), pricer);
    // 9 × 6 + 1000 × 15 = 15,054.
    expect(cached.nano).toBe(15_054_000n);
  });

  // OpenAI caches unasked and bills GPT-5.6+ writes at 1.25x input (docs/gateway.md, "OpenAI's own cache writes"): a
  // reservation at the input rate fell short by up to a quarter of the input's cost.
  it('a call to a GPT-5.6 model pays the cache-write rate without asking for caching; gpt-5.5, with no write price, its input rate', async () => {
    const ts = Date.parse('2026-12-01T00:00:00Z') * 1000;
    const ask = chat({ model: 'gpt-5.6-terra', max_tokens: 100 });
    // From 2026-07-30: $2 input, $2.50 cache write, $12 output per 1M. 9 × 2.5 + 100 × 12 = 1,222.5 micro-dollars.
    expect((await worstCase(input(ask, { ts }), pricer)).pico).toBe(1_222_500_000n);
    // $5 input, $30 output: 9 × 5 + 100 × 30 = 3,045.
    expect((await worstCase(input({ ...ask, model: 'gpt-5.5' }, { ts }), pricer)).pico).toBe(3_045_000_000n);
  });

  // A call asked for at a premium tier is reserved at that tier's rates (pricing.md): settling it at 6x what was
  // reserved would let concurrent calls overrun a budget.
  it('a request for OpenAI priority or Anthropic fast mode reserves at those rates', async () => {
    const priority = await worstCase(input(chat({ max_tokens: 100, service_tier: 'priority' })), pricer);
    // 9 × 4.25 + 100 × 17 = 1,738.25 micro-dollars (standard: 1,022.5).
    expect(priority.pico).toBe(1_738_250_000n);
    const opus = {
      model: 'claude-opus-4-6',
      max_tokens: 1000,
      messages: [{ role: 'user', content: 'hello world' }],
    };
    const standard = await worstCase(input(opus, { provider: 'anthropic' }), pricer);
    const fast = await worstCase(input({ ...opus, speed: 'fast' }, { provider: 'anthropic' }), pricer);
    // 9 × 5 + 1000 × 25 = 25,045 micro-dollars; fast 6 ×: 150,270.
    expect([standard.nano, fast.nano]).toEqual([25_045_000n, 150_270_000n]);
  });

  it('tool definitions count as input, with the system prompt the provider adds to enable them', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];
    const w = await worstCase(input(chat({ max_tokens: 1, tools })), pricer);
    // Anthropic bills up to 530 tokens of tool-use system prompt (Claude 3 Opus, tool_choice auto) on top of the tools.
    expect(w.inputTokens).toBe(9 + (await countTokens(JSON.stringify(tools))) + 530);
    // An empty list enables no tools: no system prompt for them.
    expect((await worstCase(input(chat({ max_tokens: 1, tools: [] })), pricer)).inputTokens).toBe(
      9 + (await countTokens('[]')),
    );
  });

  it('a request to an audio model that sends or asks for audio reserves at its audio rates (gpt-audio: $32 / $64)', async () => {
    const audio = (extra: Record<string, unknown>) =>
      input({ ...chat({ max_tokens: 100 }), model: 'gpt-audio', ...extra });
    // Text in, text out: 9 × 2.5 + 100 × 10.
    expect((await worstCase(audio({}), pricer)).pico).toBe(1_022_500_000n);
    // Spoken answer: 9 × 2.5 + 100 × 64.
    expect((await worstCase(audio({ modalities: ['text', 'audio'] }), pricer)).pico).toBe(6_422_500_000n);
    // A recording in the prompt: 9 × 32 + 100 × 10.
    const recording = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hello world' },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          ],
        },
      ],
    };
    expect((await worstCase(audio(recording), pricer)).pico).toBe(1_288_000_000n);
  });

  it('a call to a model that prices images apart reserves at its image rates (gpt-image-1.5: $8 in, $32 out)', () => {
    const image = (model: string, n: number) =>
      pricedWorstCase(input({ model, prompt: 'a lighthouse', n }), 10, pricer);
    // No output limit in an image request: the fallback for each image, at the image output rate: 10 × 8 + 16,384 × 32.
    expect(image('gpt-image-1.5', 1)).toMatchObject({ outputTokens: FALLBACK_OUTPUT_TOKENS, priced: true });
    expect(image('gpt-image-1.5', 1).pico).toBe(80_000_000n + 524_288_000_000n);
    expect(image('gpt-image-1.5', 2).pico).toBe(80_000_000n + 2n * 524_288_000_000n);
    // gpt-image-1 lists image input at $10 and bills image output at its output rate, $40: 10 × 10 + 16,384 × 40.
    expect(image('gpt-image-1', 1).pico).toBe(100_000_000n + 655_360_000_000n);
  });

  it('a search tool the request bounds reserves its fee per search; an unbounded one reserves none', () => {
    // Same input and output either way, so the difference is the fee alone: $10 per 1,000 searches is 10^10 pico each.
    const extra = (json: Record<string, unknown>, provider = 'openai') =>
      pricedWorstCase(input(json, { provider }), 100, pricer).pico -
      pricedWorstCase(
        input({ ...json, tools: undefined, max_tool_calls: undefined }, { provider }),
        100,
        pricer,
      ).pico;
    const claude = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [] };
    const search = { type: 'web_search_20250305', name: 'web_search' };
    expect(extra({ ...claude, tools: [{ ...search, max_uses: 5 }] }, 'anthropic')).toBe(50_000_000_000n);
    expect(extra({ ...claude, tools: [search] }, 'anthropic')).toBe(0n);
    // The Responses API: max_tool_calls bounds every built-in tool call; web_search_preview is $25 on gpt-4o.
    const responses = (model: string, type: string, more: Record<string, unknown> = {}) =>
      extra({ model, max_output_tokens: 100, input: 'hi', tools: [{ type }], max_tool_calls: 3, ...more });
    expect(responses('gpt-5', 'web_search')).toBe(30_000_000_000n);
    expect(responses('gpt-4o', 'web_search_preview_2025_03_11')).toBe(75_000_000_000n);
    expect(responses('gpt-5', 'web_search_preview')).toBe(30_000_000_000n);
    expect(responses('gpt-4o', 'web_search', { max_tool_calls: undefined })).toBe(0n);
  });

  it('searchBound reads the bound of each API, and of none where a tool is unbounded', () => {
    const anthropic = (max_uses?: unknown) => ({ type: 'web_search_20250305', name: 'web_search', max_uses });
    expect(searchBound({ tools: [anthropic(2)] })).toEqual({ count: 2, tool: null });
    expect(searchBound({ tools: [anthropic(2), anthropic()] })).toBeNull();
    expect(searchBound({ tools: [anthropic(0)] })).toBeNull();
    expect(searchBound({ tools: [{ type: 'web_fetch_20250910', max_uses: 4 }] })).toBeNull();
    expect(
      searchBound({ tools: [{ type: 'web_search' }, { type: 'web_search_preview' }], max_tool_calls: 4 }),
    ).toEqual({ count: 4, tool: 'web_search_preview' });
    expect(searchBound({ tools: [{ type: 'function', name: 'f' }], max_tool_calls: 4 })).toBeNull();
    expect(searchBound({ tools: [{ type: 'web_search' }], max_tool_calls: 1.5 })).toBeNull();
  });

  it('an unknown model reserves nothing and says it is unpriced', async () => {
    const w = await worstCase(
      input({ model: 'no-such-model-x', max_tokens: 10 }, { provider: 'nobody' }),
      pricer,
    );
    expect(w).toMatchObject({ priced: false, nano: 0n, pico: 0n });
  });
});

describe('outputLimit and nano-dollar rounding', () => {
  it('reads the three APIs names, ignoring junk', () => {
    expect(outputLimit({ max_output_tokens: 7 })).toBe(7);
    expect(outputLimit({ max_tokens: 0 })).toBeNull();
    expect(outputLimit({ max_tokens: '10' })).toBeNull();
    expect(outputLimit({ max_tokens: 1.5 })).toBeNull();
  });
  it('spend rounds up, limits round down', () => {
    expect(picoToNanoUp(1000n)).toBe(1n);
    expect(picoToNanoUp(1001n)).toBe(2n);
    expect(picoToNanoUp(0n)).toBe(0n);
    expect(usdToNanoDown('0.0000000019')).toBe(1n);
    expect(usdToNanoDown('50')).toBe(50_000_000_000n);
    expect(nanoToUsd(667_000_000n)).toBe('0.667000000');
  });
});
