import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPromptTokens } from '../../src/budgets/prompt-tokens.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { formatUsd } from '../../src/money/money.js';
import { loadPricer } from '../../src/pricing/load.js';
import type { Pricer } from '../../src/pricing/pricer.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import {
  ANTHROPIC_SEARCHES,
  ANTHROPIC_THINKING_TOKENS,
  ANTHROPIC_USAGE,
  COMPACTION_SUMMARY,
  COMPACTION_USAGE,
  FAKE_MODELS,
  THINKING,
  WORDS,
} from './fake-provider.js';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;
let client: Anthropic;
let pricer: Pricer;
const MODEL = 'claude-sonnet-4-20250514';

beforeAll(async () => {
  h = await startHarness();
  client = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url, maxRetries: 0 });
  pricer = await loadPricer({ cwd: h.dir, env: {} });
});
afterAll(() => h.close());

const USAGE = {
  input_tokens: ANTHROPIC_USAGE.input,
  cache_read_tokens: ANTHROPIC_USAGE.cache_read,
  cache_write_5m_tokens: ANTHROPIC_USAGE.cache_5m,
  cache_write_1h_tokens: ANTHROPIC_USAGE.cache_1h,
  output_tokens: ANTHROPIC_USAGE.output,
  reasoning_tokens: 0,
};

function expectExact(e: UsageEvent, reasoning = 0) {
  expect(e).toMatchObject({
    provider: 'anthropic',
    operation: 'messages',
    status: 'ok',
    cost_source: 'computed',
    ...USAGE,
    reasoning_tokens: reasoning,
  });
  const want = pricer.price(
    unpricedEvent({ provider: 'anthropic', model: e.model, ts: e.ts, ...USAGE }),
  ).cost_usd;
  expect(want).not.toBeNull();
  expect(e.cost_usd).toBe(want);
}

/**
 * Streams from a model whose upstream ends the stream with an error event, reading until the SDK throws it; returns
 * that error and the call as recorded (the client stops reading at the error; the gateway records a moment later).
 */
async function readToError(model: string): Promise<{ err: unknown; event: UsageEvent }> {
  const { data: stream, response } = await client.messages
    .create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true })
    .withResponse();
  const err = await (async () => {
    for await (const _ of stream);
  })().catch((e: unknown) => e);
  return { err, event: await h.recorded(response.headers.get('x-tokenledger-event-id')!) };
}

/**
 * Sends a stream to a model whose upstream sends its headers and waits 300 ms before message_start, leaves at once,
 * and returns the call as the ledger recorded it.
 */
async function leftBeforeStart(params: Partial<Anthropic.MessageCreateParamsStreaming>): Promise<UsageEvent> {
  const { data: stream, response } = await client.messages
    .create({
      model: `${MODEL}-late`,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
      ...params,
      stream: true,
    })
    .withResponse();
  stream.controller.abort();
  return h.recorded(response.headers.get('x-tokenledger-event-id')!);
}

describe('Anthropic through the gateway (official @anthropic-ai/sdk client)', () => {
  it('messages: cache reads, 5-minute and 1-hour cache writes, exact cost', async () => {
    const { data, response } = await client.messages
      .create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: WORDS.join('') });
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expectExact(e);
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe(formatUsd(e.cost_usd!));
    // This SDK version sends the key as a bearer token; it goes upstream untouched.
    expect(h.fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-ant-caller');
  });

  it('streamed messages: usage from message_start and the last message_delta, never summed', async () => {
    const { data: stream, response } = await client.messages
      .create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    const text: string[] = [];
    for await (const ev of stream)
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text.push(ev.delta.text);
    expect(text.join('')).toBe(WORDS.join(''));
    expectExact(await h.event(response.headers.get('x-tokenledger-event-id')!));
  });

  // https://platform.claude.com/docs/en/build-with-claude/fast-mode — Opus 4.6 in fast mode: 6x the standard rates.
  it('a call made in fast mode (usage.speed) is priced at the fast-mode rates, streamed and not', async () => {
    const ask = {
      model: 'claude-opus-4-6',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'hi' }],
      speed: 'fast' as const,
      betas: ['fast-mode-2026-02-01'],
    };
    const { response } = await client.beta.messages.create(ask).withResponse();
    const { data: stream, response: streamed } = await client.beta.messages
      .create({ ...ask, stream: true })
      .withResponse();
    for await (const _ of stream);
    // The beta namespace's header reaches the upstream as sent.
    expect(h.fake.requests.at(-1)!.headers['anthropic-beta']).toBe('fast-mode-2026-02-01');
    for (const r of [response, streamed]) {
      const e = await h.event(r.headers.get('x-tokenledger-event-id')!);
      // Standard: 350 × $5 + 2,048 × $0.50 + 512 × $6.25 + 256 × $10 + 180 × $25 = $0.013034; fast: × 6
      expect([e.service_tier, formatUsd(e.cost_usd!)]).toEqual(['fast', '0.078204000000']);
    }
  });

  // https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html — inference kept in the US: 1.1×.
  it('a call that ran in the US (usage.inference_geo) is priced at 1.1x and tagged so', async () => {
    const ask = {
      model: 'claude-opus-4-6',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'hi' }],
      inference_geo: 'us',
    } as Anthropic.MessageCreateParamsNonStreaming;
    const { response } = await client.messages.create(ask).withResponse();
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    // Standard $0.013034 (above) × 1.1 = $0.0143374
    expect([e.tags.inference_geo, formatUsd(e.cost_usd!)]).toEqual(['us', '0.014337400000']);
  });

  // https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool — "$10 per 1,000 searches, plus
  // standard token costs"; web fetch has "no additional charges beyond standard token costs".
  it('a call that searched the web costs its tokens + $10 per 1,000 searches, streamed and not; fetches are free', async () => {
    const ask = {
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'what is new?' }],
      tools: [
        { type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 5 },
        { type: 'web_fetch_20250910' as const, name: 'web_fetch' as const },
      ],
    };
    const { data, response } = await client.messages.create(ask).withResponse();
    expect(data.content.map((b) => b.type)).toEqual([
      ...Array.from({ length: ANTHROPIC_SEARCHES }, () => [
        'server_tool_use',
        'web_search_tool_result',
      ]).flat(),
      'text',
    ]);
    expect(data.usage.server_tool_use).toEqual({ web_search_requests: 3, web_fetch_requests: 1 });
    const { data: stream, response: streamed } = await client.messages
      .create({ ...ask, stream: true })
      .withResponse();
    for await (const _ of stream);
    for (const r of [response, streamed]) {
      const e = await h.event(r.headers.get('x-tokenledger-event-id')!);
      // Sonnet 4: 350 × $3 + 2,048 × $0.30 + 512 × $3.75 + 256 × $6 + 180 × $15 per 1M = $0.0078204 of tokens;
      // 3 searches × $0.01 = $0.03; the fetch adds nothing → $0.0378204
      expect([e.web_search_requests, formatUsd(e.cost_usd!)]).toEqual([3, '0.037820400000']);
      expect(e.cost_usd! - (e.cost_input! + e.cost_cache_read! + e.cost_cache_write! + e.cost_output!)).toBe(
        30_000_000_000n,
      );
    }
    // The JSON answer also says so in its header (a stream's headers leave before its usage arrives).
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.037820400000');
  });

  // The thinking among the output: usage.output_tokens_details.thinking_tokens, in the answer and in message_delta
  // (anthropics/anthropic-sdk-typescript src/resources/messages/messages.ts `OutputTokensDetails`; "`output_tokens`
  // remains the inclusive, authoritative total used for billing"): recorded as reasoning, the cost unchanged.
  it('extended thinking (thinking with its signature, redacted_thinking), streamed and not: bytes as sent, exact usage, thinking tokens as reasoning', async () => {
    const ask = {
      model: MODEL,
      max_tokens: 2048,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const { data, response } = await client.messages.create(ask).withResponse();
    expect(data.content).toEqual([
      { type: 'thinking', thinking: THINKING.thinking, signature: THINKING.signature },
      { type: 'redacted_thinking', data: THINKING.redacted },
      { type: 'text', text: WORDS.join('') },
    ]);
    expectExact(await h.event(response.headers.get('x-tokenledger-event-id')!), ANTHROPIC_THINKING_TOKENS);
    // The stream helper rebuilds the same blocks, signature included (a later turn must send it back unchanged).
    const stream = client.messages.stream(ask);
    const final = await stream.finalMessage();
    expect(final.content).toEqual(data.content);
    const id = (await stream.withResponse()).response.headers.get('x-tokenledger-event-id')!;
    expectExact(await h.event(id), ANTHROPIC_THINKING_TOKENS);
    const direct = await fetch(`${h.fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true }),
    }).then((r) => r.text());
    const via = await fetch(`${h.server.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-caller',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ ...ask, stream: true }),
    }).then((r) => r.text());
    expect(via).toBe(direct);
  });

  // Server-side compaction (beta compact-2026-01-12) summarises the context in a sampling step of its own, which
  // is billed, by the requested model, but left out of the top-level usage: "A `compaction` entry's tokens are not
  // included in the top-level `usage` fields" (anthropics/anthropic-sdk-typescript
  // src/resources/beta/messages/messages.ts `BetaUsage.iterations`, `BetaMessageDeltaUsage.iterations`,
  // `BetaCompactionIterationUsage`; https://platform.claude.com/docs/en/build-with-claude/compaction-threshold).
  it('a call that compacted its context costs the compaction too, streamed and not, its tier judged by the answer', async () => {
    const ask = {
      model: 'claude-opus-4-6',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'hi' }],
      context_management: { edits: [{ type: 'compact_20260112' as const }] },
      betas: ['compact-2026-01-12'],
    };
    const { data, response } = await client.beta.messages.create(ask).withResponse();
    expect(data.content[0]).toMatchObject({ type: 'compaction', content: COMPACTION_SUMMARY });
    const { data: stream, response: streamed } = await client.beta.messages
      .create({ ...ask, stream: true })
      .withResponse();
    for await (const _ of stream);
    for (const r of [response, streamed]) {
      const e = await h.event(r.headers.get('x-tokenledger-event-id')!);
      expect(e).toMatchObject({
        input_tokens: ANTHROPIC_USAGE.input + COMPACTION_USAGE.input,
        cache_read_tokens: ANTHROPIC_USAGE.cache_read,
        output_tokens: ANTHROPIC_USAGE.output + COMPACTION_USAGE.output,
      });
      // The answer's own input (3,166 tokens) picks the tier, not the sum with the compaction's 199,000 (202,166,
      // above Opus 4.6's 200k threshold): $0.013034 (above) + 199,000 × $5 + 3,500 × $25 per 1M = $1.095534
      expect(formatUsd(e.cost_usd!)).toBe('1.095534000000');
      // …which the event keeps, so that a reprice judges the tier the same way.
      expect(e.tags.context_input_tokens).toBe('3166');
    }
  });

  it('the stream helper sees the same final usage as the ledger', async () => {
    const final = await client.messages
      .stream({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(final.usage.output_tokens).toBe(ANTHROPIC_USAGE.output);
  });

  it('an error event mid-stream (overloaded) is recorded as an error, its output estimated', async () => {
    const { err, event: e } = await readToError(`${MODEL}-overloaded`);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err)).toContain('overloaded_error');
    // message_start's usage is what the stream reported; its output (1) is not the answer's.
    expect(e).toMatchObject({
      status: 'error',
      error_type: 'overloaded_error',
      cost_source: 'estimated',
      input_tokens: ANTHROPIC_USAGE.input,
      cache_read_tokens: ANTHROPIC_USAGE.cache_read,
    });
  });

  // The SDK stops reading at the error event and closes the connection: when the upstream ends its stream a moment
  // later, the client has left, but the call failed upstream, and that is what the ledger says.
  it('an error event mid-stream is recorded as the error even when the client leaves before the upstream ends', async () => {
    const { err, event: e } = await readToError(`${MODEL}-overloaded-lingering`);
    expect(String(err)).toContain('overloaded_error');
    expect(e).toMatchObject({
      status: 'error',
      error_type: 'overloaded_error',
      cost_source: 'estimated',
      input_tokens: ANTHROPIC_USAGE.input,
      cache_read_tokens: ANTHROPIC_USAGE.cache_read,
    });
  });

  // The stream is over only at message_stop: an error event after message_delta (a stream's message_delta may come
  // more than once, cumulative) ends a call that failed, and the ledger says so as the client saw it.
  it('an error event after message_delta, in place of message_stop, is recorded as that error', async () => {
    const { err, event: e } = await readToError(`${MODEL}-error-after-delta`);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err)).toContain('overloaded_error');
    expect(e).toMatchObject({
      status: 'error',
      error_type: 'overloaded_error',
      cost_source: 'estimated',
      input_tokens: ANTHROPIC_USAGE.input,
      cache_read_tokens: ANTHROPIC_USAGE.cache_read,
    });
    // The output message_delta reported is kept: an estimate never counts less than the provider said.
    expect(e.output_tokens).toBeGreaterThanOrEqual(ANTHROPIC_USAGE.output);
  });

  it("a stream that ends without message_delta has its output estimated, not taken as message_start's 1", async () => {
    const { data: stream, response } = await client.messages
      .create({
        model: `${MODEL}-nodelta`,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      .withResponse();
    let text = '';
    for await (const ev of stream)
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
    expect(text).toBe(WORDS.join(''));
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'estimated',
      input_tokens: ANTHROPIC_USAGE.input,
      cache_read_tokens: ANTHROPIC_USAGE.cache_read,
    });
    // The text's tokens, counted with the tokenizer: more than message_start's placeholder.
    expect(e.output_tokens).toBeGreaterThan(1);
  });

  // Anthropic's message_delta always carries usage (`RawMessageDeltaEvent.usage`), but an Anthropic-compatible server
  // may leave it out: such an event says nothing of the output, which is then counted, not taken as message_start's 1.
  it("a stream whose message_delta carries no usage has its output estimated, not taken as message_start's 1", async () => {
    const { data: stream, response } = await client.messages
      .create({
        model: `${MODEL}-bare-delta`,
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      })
      .withResponse();
    for await (const _ of stream);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'estimated',
      input_tokens: ANTHROPIC_USAGE.input,
    });
    expect(e.output_tokens).toBeGreaterThan(1);
  });

  // Tool definitions are input the provider bills (https://platform.claude.com/docs/en/agents-and-tools/tool-use/overview,
  // Pricing): a call the client leaves before message_start must count them, as budget admission does.
  it('a stream the client leaves before message_start counts its tool definitions as input', async () => {
    const description = 'Looks up the current weather of a city, with temperature and wind. '.repeat(40);
    const tools = [
      {
        name: 'get_weather',
        description,
        input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
      },
    ];
    const leave = (withTools: boolean) =>
      leftBeforeStart({
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        ...(withTools ? { tools } : {}),
      });
    const bare = await leave(false);
    const withTools = await leave(true);
    expect(withTools).toMatchObject({ status: 'aborted', cost_source: 'estimated' });
    expect(withTools.input_tokens - bare.input_tokens).toBeGreaterThanOrEqual(
      await countPromptTokens(description),
    );
  });

  // A plain-text document (https://platform.claude.com/docs/en/build-with-claude/citations) is the prompt's text too,
  // held in its source's `data` rather than a `text` field.
  it('a stream the client leaves before message_start counts a plain-text document as input', async () => {
    const report =
      'The quarterly report: revenue grew in every region, costs held flat, margins rose. '.repeat(40);
    const leave = (withDocument: boolean) =>
      leftBeforeStart({
        messages: [
          {
            role: 'user',
            content: [
              ...(withDocument
                ? [
                    {
                      type: 'document' as const,
                      source: { type: 'text' as const, media_type: 'text/plain' as const, data: report },
                    },
                  ]
                : []),
              { type: 'text' as const, text: 'Summarise the report.' },
            ],
          },
        ],
      });
    const bare = await leave(false);
    const withDocument = await leave(true);
    expect(withDocument).toMatchObject({ status: 'aborted', cost_source: 'estimated' });
    expect(withDocument.input_tokens - bare.input_tokens).toBeGreaterThanOrEqual(
      await countPromptTokens(report),
    );
  });

  // A document's `title` and `context` are passed to the model beside its content (citations: "not used towards
  // cited content", but read, and billed, as input).
  it("a stream the client leaves before message_start counts a document's title and context as input", async () => {
    const context = 'Prepared by the finance team for the board; figures are unaudited and in euros. '.repeat(
      20,
    );
    const leave = (withContext: boolean) =>
      leftBeforeStart({
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document' as const,
                source: { type: 'text' as const, media_type: 'text/plain' as const, data: 'Revenue grew.' },
                ...(withContext ? { title: 'Quarterly report', context } : {}),
              },
              { type: 'text' as const, text: 'Summarise the report.' },
            ],
          },
        ],
      });
    const bare = await leave(false);
    const withContext = await leave(true);
    expect(withContext).toMatchObject({ status: 'aborted', cost_source: 'estimated' });
    expect(withContext.input_tokens - bare.input_tokens).toBeGreaterThanOrEqual(
      (await countPromptTokens(context)) + (await countPromptTokens('Quarterly report')),
    );
  });

  // The model's own tool calls of earlier turns are sent back as input: an agent that wrote a file sends the file's
  // text again in its tool_use block's `input` on every later turn.
  it("a stream the client leaves before message_start counts earlier turns' tool_use input as input", async () => {
    const fileText = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n'.repeat(40);
    const leave = (withToolUse: boolean) =>
      leftBeforeStart({
        messages: [
          { role: 'user', content: 'Write the module.' },
          {
            role: 'assistant',
            content: [
              {
                type: 'tool_use',
                id: 'toolu_1',
                name: 'write_file',
                input: withToolUse ? { path: 'src/add.ts', file_text: fileText } : {},
              },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'written' }] },
        ],
      });
    const bare = await leave(false);
    const withToolUse = await leave(true);
    expect(withToolUse).toMatchObject({ status: 'aborted', cost_source: 'estimated' });
    expect(withToolUse.input_tokens - bare.input_tokens).toBeGreaterThanOrEqual(
      await countPromptTokens(fileText),
    );
  });

  // An estimate of 0 tokens is not a call that used nothing: the provider was never heard from, and billed at least
  // its own framing of the prompt. A model with no price must be recorded as unpriced (cost unknown), never as $0.
  it('a stream to an unpriced model left before message_start with no text to count is recorded as unpriced, not $0', async () => {
    const e = await leftBeforeStart({
      model: 'in-house-model-late',
      messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }],
    });
    expect(e).toMatchObject({ status: 'aborted', input_tokens: 0, output_tokens: 0 });
    expect(e).toMatchObject({ cost_source: 'unpriced', cost_usd: null, price_version: null });
  });

  // Fast mode is asked for with `speed` and billed at 6x: a call left before message_start (which reports usage.speed)
  // is estimated in the tier it asked for, as budget admission reserved it, not at the standard rates.
  it('a fast-mode stream the client leaves before message_start is recorded in the fast tier', async () => {
    const { data: stream, response } = await client.beta.messages
      .create({
        model: 'claude-opus-4-6-late',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        speed: 'fast',
        betas: ['fast-mode-2026-02-01'],
        stream: true,
      })
      .withResponse();
    stream.controller.abort();
    const id = response.headers.get('x-tokenledger-event-id')!;
    expect(await h.recorded(id)).toMatchObject({ status: 'aborted', service_tier: 'fast' });
  });

  // A request's service_tier ("auto", "standard_only") is a preference, not the tier the call was billed in: that is
  // the answer's usage.service_tier. A call left before message_start never learns it, and is not recorded in a
  // tier named after the preference.
  it("a stream the client leaves before message_start is not recorded in the request's service_tier preference", async () => {
    for (const preference of ['auto', 'standard_only'] as const) {
      const e = await leftBeforeStart({ service_tier: preference });
      expect(e).toMatchObject({ status: 'aborted', service_tier: null });
      // …and priced at the standard rates.
      const standard = pricer.price(unpricedEvent({ ...e, service_tier: null })).cost_usd;
      expect(e.cost_usd).toBe(standard);
    }
  });

  it('count_tokens is proxied and not recorded', async () => {
    const before = (await h.all()).length;
    const r = await client.messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.input_tokens).toBe(2095);
    expect((await h.all()).length).toBe(before);
  });

  it('models.list and models.retrieve reach the Anthropic upstream (told apart by anthropic-version), not recorded', async () => {
    const before = (await h.all()).length;
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(FAKE_MODELS.anthropic);
    expect(await client.models.retrieve(MODEL)).toMatchObject({ type: 'model', id: MODEL });
    const sent = h.fake.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'GET', path: `/v1/models/${MODEL}` });
    expect(sent.headers['anthropic-version']).toBeDefined();
    const err = await client.models.retrieve('claude-nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('not_found_error');
    expect((await h.all()).length).toBe(before);
  });

  it('Message Batches are not proxied: a 404 that says why and names the import for their usage', async () => {
    const sent = h.fake.requests.length;
    const err = await client.messages.batches
      .create({
        requests: [
          {
            custom_id: 'a',
            params: { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('not_found_error');
    expect(String(err)).toMatch(
      /POST \/v1\/messages\/batches is not proxied: .*`tokenledger import anthropic-usage`/,
    );
    expect(h.fake.requests.length).toBe(sent);
  });

  it("the SDK's retry of an overloaded (529) call: retry-after kept, each attempt recorded, the call costed once", async () => {
    const retrying = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url });
    const before = (await h.all()).length;
    const { data, response } = await retrying.messages
      .create({ model: `${MODEL}-flaky`, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.content[0]).toMatchObject({ text: WORDS.join('') });
    const attempts = h.fake.requests.slice(-2);
    expect(attempts.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
    const all = await h.all();
    expect(all.length).toBe(before + 2);
    const refused = all.find((e) => e.model_requested === `${MODEL}-flaky` && e.status === 'error')!;
    expect(refused).toMatchObject({ error_type: 'overloaded_error', input_tokens: 0, output_tokens: 0 });
    expect(refused.cost_usd).toBe(0n);
    expectExact(await h.event(response.headers.get('x-tokenledger-event-id')!));
    // What the SDK decided on: the 529 as the provider sent it.
    const err = await client.messages
      .create({ model: `${MODEL}-flaky`, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    const headers = (err as InstanceType<typeof Anthropic.APIError>).headers!;
    expect([headers.get('retry-after'), headers.get('x-should-retry'), headers.get('request-id')]).toEqual([
      '1',
      'true',
      'req_fake_overloaded',
    ]);
  });

  it('errors keep their status and Anthropic error body', async () => {
    const err = await client.messages
      .create({ model: `${MODEL}-e500`, max_tokens: 10, messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error' },
    });
  });
});
