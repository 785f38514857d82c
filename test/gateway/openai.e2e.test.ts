import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPromptTokens } from '../../src/budgets/prompt-tokens.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { eventId } from '../../src/ledger/event-id.js';
import { formatUsd } from '../../src/money/money.js';
import { loadPricer } from '../../src/pricing/load.js';
import type { Pricer } from '../../src/pricing/pricer.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import {
  AUDIO_USAGE,
  EMBEDDING_TOKENS,
  FAKE_MODELS,
  LONG_STREAM_BYTES,
  OPENAI_CACHE_WRITE,
  OPENAI_SEARCHES,
  OPENAI_USAGE,
  WORDS,
} from './fake-provider.js';
import { backgroundMadeElsewhere, type Harness, startHarness } from './helpers.js';

let h: Harness;
let client: OpenAI;
let pricer: Pricer;

beforeAll(async () => {
  h = await startHarness();
  client = new OpenAI({ apiKey: 'sk-caller-own-key', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
  pricer = await loadPricer({ cwd: h.dir, env: {} });
});
afterAll(() => h.close());

/** The cost the pricing engine gives the usage the fake provider reported. */
function expectedCost(e: UsageEvent, usage: Partial<UsageEvent>): bigint | null {
  return pricer.price(unpricedEvent({ provider: 'openai', model: e.model, ts: e.ts, ...usage })).cost_usd;
}

const CHAT_USAGE = {
  input_tokens: OPENAI_USAGE.prompt - OPENAI_USAGE.cached,
  cache_read_tokens: OPENAI_USAGE.cached,
  output_tokens: OPENAI_USAGE.completion,
  reasoning_tokens: OPENAI_USAGE.reasoning,
};

function expectUsage(e: UsageEvent, usage: Partial<UsageEvent>) {
  expect(e).toMatchObject({
    source: 'gateway',
    provider: 'openai',
    requests: 1,
    cache_write_5m_tokens: 0,
    ...usage,
  });
  expect(e.cost_source).toBe('computed');
  expect(e.cost_usd).not.toBeNull();
  expect(e.cost_usd).toBe(expectedCost(e, usage));
}

/** Every event once there are `n` (a streamed call is recorded as its stream ends, after the client's last read). */
async function settledAll(n: number): Promise<UsageEvent[]> {
  for (let i = 0; ; i++) {
    const all = await h.all();
    if (all.length >= n || i === 50) return all;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The event of a call whose client stopped reading at an error: the gateway records it a moment later. */
async function settled(id: string): Promise<UsageEvent> {
  for (let i = 0; ; i++) {
    const e = (await h.all()).find((x) => x.event_id === id);
    if (e !== undefined || i === 50) return e ?? h.event(id);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The same chat request made whole and streamed (the stream read to its end): the two HTTP responses. */
async function jsonAndStreamed(
  ask: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
): Promise<[Response, Response]> {
  const { response } = await client.chat.completions.create(ask).withResponse();
  const { data: stream, response: streamed } = await client.chat.completions
    .create({ ...ask, stream: true })
    .withResponse();
  for await (const _ of stream);
  return [response, streamed];
}

describe('OpenAI through the gateway (official openai client)', () => {
  it('chat completion: usage with cached and reasoning tokens, exact cost in the header and the ledger', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], user: 'alice' })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe(WORDS.join(''));
    expect(data.usage?.prompt_tokens).toBe(OPENAI_USAGE.prompt);
    const id = response.headers.get('x-tokenledger-event-id')!;
    const e = await h.event(id);
    expectUsage(e, CHAT_USAGE);
    expect(e).toMatchObject({ model: 'gpt-4o', operation: 'chat', user: 'alice', status: 'ok' });
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe(formatUsd(e.cost_usd!));
    // The caller's own key went upstream; nothing of ours did.
    const sent = h.fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-caller-own-key');
    expect(Object.keys(sent.headers).some((k) => k.startsWith('x-tokenledger'))).toBe(false);
  });

  // xAI counts reasoning apart from completion_tokens (Google's page for Grok on Vertex AI: "separated from the
  // completion_tokens"), and bills it as output, as OpenAI does inside completion_tokens.
  it('a Grok answer that counts reasoning apart from completion_tokens is recorded with it as output, streamed and not', async () => {
    const ask = { model: 'grok-4', messages: [{ role: 'user' as const, content: 'hi' }] };
    const { data } = await client.chat.completions.create(ask).withResponse();
    // Passed through as the upstream wrote it.
    expect(data.usage?.completion_tokens).toBe(OPENAI_USAGE.completion - OPENAI_USAGE.reasoning);
    for (const r of await jsonAndStreamed(ask))
      expect(await h.event(r.headers.get('x-tokenledger-event-id')!)).toMatchObject({
        output_tokens: OPENAI_USAGE.completion,
        reasoning_tokens: OPENAI_USAGE.reasoning,
      });
  });

  it("a DeepSeek answer's prompt_cache_hit_tokens are recorded as cache reads, streamed and not", async () => {
    const ask = { model: 'deepseek-chat', messages: [{ role: 'user' as const, content: 'hi' }] };
    for (const r of await jsonAndStreamed(ask))
      expect(await h.event(r.headers.get('x-tokenledger-event-id')!)).toMatchObject({
        input_tokens: OPENAI_USAGE.prompt - OPENAI_USAGE.cached,
        cache_read_tokens: OPENAI_USAGE.cached,
        output_tokens: OPENAI_USAGE.completion,
      });
  });

  // https://openai.com/api-priority-processing/ — gpt-4o at priority: $4.25 input, $2.125 cached input, $17 output.
  it('a call served at priority is priced at the priority rates, streamed and not', async () => {
    const ask = {
      model: 'gpt-4o',
      messages: [{ role: 'user' as const, content: 'hi' }],
      service_tier: 'priority' as const,
    };
    for (const r of await jsonAndStreamed(ask)) {
      const e = await settled(r.headers.get('x-tokenledger-event-id')!);
      // 476 × $4.25 = $0.002023; 1,024 × $2.125 = $0.002176; 420 × $17 = $0.00714 → $0.011339
      // (at the standard rates it would be $0.00667)
      expect([e.service_tier, formatUsd(e.cost_usd!)]).toEqual(['priority', '0.011339000000']);
    }
  });

  // gpt-audio: $2.50 / $10 per 1M text tokens, $32 / $64 per 1M audio tokens (genai-prices 0.1.8).
  it('an audio model: audio tokens priced at the audio rates, streamed and not', async () => {
    const ask = {
      model: 'gpt-audio',
      modalities: ['text' as const, 'audio' as const],
      audio: { voice: 'alloy' as const, format: 'wav' as const },
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const [response, streamed] = await jsonAndStreamed(ask);
    for (const r of [response, streamed]) {
      const e = await settled(r.headers.get('x-tokenledger-event-id')!);
      expect(e).toMatchObject({
        model: 'gpt-audio',
        input_tokens: AUDIO_USAGE.prompt,
        input_audio_tokens: AUDIO_USAGE.audioIn,
        output_tokens: AUDIO_USAGE.completion,
        output_audio_tokens: AUDIO_USAGE.audioOut,
      });
      // input 400 × $2.50 + 800 × $32 = $0.0266; output 100 × $10 + 200 × $64 = $0.0138; $0.0404
      // (all at the text rates it would be $0.006)
      expect([formatUsd(e.cost_input!), formatUsd(e.cost_output!), formatUsd(e.cost_usd!)]).toEqual([
        '0.026600000000',
        '0.013800000000',
        '0.040400000000',
      ]);
    }
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.040400000000');
    expect(h.fake.requests.at(-2)!.body).toContain('"modalities":["text","audio"]');
  });

  it('GPT-5.6 cache writes, chat and Responses, streamed and not: cache_write_5m_tokens at the cache-write rate', async () => {
    const ask = { model: 'gpt-5.6-terra', messages: [{ role: 'user' as const, content: 'hi' }] };
    const { response: made } = await client.responses
      .create({ model: 'gpt-5.6-terra', input: 'hi' })
      .withResponse();
    const { data: stream, response: streamedResponse } = await client.responses
      .create({ model: 'gpt-5.6-terra', input: 'hi', stream: true })
      .withResponse();
    for await (const _ of stream);
    for (const r of [...(await jsonAndStreamed(ask)), made, streamedResponse]) {
      const e = await settled(r.headers.get('x-tokenledger-event-id')!);
      // The writes are a part of the input, as the cache reads are: 1,500 = 1,024 read + 300 written + 176.
      expect(e).toMatchObject({
        input_tokens: OPENAI_USAGE.prompt - OPENAI_USAGE.cached - OPENAI_CACHE_WRITE,
        cache_read_tokens: OPENAI_USAGE.cached,
        cache_write_5m_tokens: OPENAI_CACHE_WRITE,
        cache_write_1h_tokens: 0,
        output_tokens: OPENAI_USAGE.completion,
      });
      // From 2026-07-30 the catalog's gpt-5.6-terra: $2 input, $2.50 cache write (1.25x), $0.20 cache read, $12
      // output per 1M: 176 × 2 + 300 × 2.5 + 1,024 × 0.2 + 420 × 12 = $0.0063468 a call.
      expect([formatUsd(e.cost_cache_write!), formatUsd(e.cost_usd!)]).toEqual([
        '0.000750000000',
        '0.006346800000',
      ]);
    }
  });

  it('streamed chat without include_usage: usage is metered and the client sees no usage at all', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    const parts: string[] = [];
    let sawUsageField = false;
    for await (const chunk of stream) {
      if ('usage' in chunk) sawUsageField = true;
      parts.push(chunk.choices[0]?.delta.content ?? '');
    }
    expect(parts.join('')).toBe(WORDS.join(''));
    expect(sawUsageField).toBe(false);
    expect(JSON.parse(h.fake.requests.at(-1)!.body).stream_options).toEqual({ include_usage: true });
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expectUsage(e, CHAT_USAGE);
    expect(e.ttft_ms).not.toBeNull();
    expect(response.headers.get('x-tokenledger-cost-usd')).toBeNull();
  });

  it('streamed chat with include_usage: false (the client said no): metered all the same, hidden from it', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: false },
        n: 1,
      })
      .withResponse();
    let sawUsageField = false;
    for await (const chunk of stream) if ('usage' in chunk) sawUsageField = true;
    expect(sawUsageField).toBe(false);
    expect(JSON.parse(h.fake.requests.at(-1)!.body).stream_options).toEqual({ include_usage: true });
    expectUsage(await h.event(response.headers.get('x-tokenledger-event-id')!), CHAT_USAGE);
  });

  it('streamed chat with include_usage: the stream is passed through unchanged', async () => {
    const direct = await fetch(`${h.fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: [],
        stream: true,
        stream_options: { include_usage: true },
      }),
    }).then((r) => r.text());
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(OPENAI_USAGE.completion);
    const viaGateway = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: [],
        stream: true,
        stream_options: { include_usage: true },
      }),
    }).then((r) => r.text());
    expect(viaGateway).toBe(direct);
  });

  it('responses API, streamed and not', async () => {
    const { data, response } = await client.responses.create({ model: 'gpt-4o', input: 'hi' }).withResponse();
    expect(data.output_text).toBe(WORDS.join(''));
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expectUsage(e, CHAT_USAGE);
    expect(e.operation).toBe('responses');

    const { data: stream, response: r2 } = await client.responses
      .create({ model: 'gpt-4o', input: 'hi', stream: true })
      .withResponse();
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    expect(types.at(-1)).toBe('response.completed');
    expectUsage(await h.event(r2.headers.get('x-tokenledger-event-id')!), CHAT_USAGE);

    // The stream helper rebuilds the response from the events and ends with the usage the ledger has.
    const before = (await h.all()).length;
    const final = await client.responses.stream({ model: 'gpt-4o', input: 'hi' }).finalResponse();
    expect(final.output[0]).toMatchObject({ content: [{ text: WORDS.join('') }] });
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(OPENAI_USAGE.reasoning);
    expect((await h.all()).length).toBe(before + 1);
  });

  it('responses.compact is metered like a response, under the model asked for (the answer names none)', async () => {
    const { data, response } = await client.responses
      .compact({ model: 'gpt-4o', input: 'hi', previous_response_id: 'resp_fake1' })
      .withResponse();
    expect(data.object).toBe('response.compaction');
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expectUsage(e, CHAT_USAGE);
    expect(e).toMatchObject({
      operation: 'compact',
      model: 'gpt-4o',
      status: 'ok',
      source_ref: 'resp_fakecmp1',
    });
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe(formatUsd(e.cost_usd!));
  });

  // https://platform.openai.com/docs/pricing (Built-in tools): web search $10.00 / 1k calls; web search preview
  // $25.00 / 1k calls on non-reasoning models such as gpt-4o. Each web_search_call output item is a call.
  it('responses API with web search: each web_search_call costs $10 per 1,000, or $25 with the preview tool on gpt-4o', async () => {
    // gpt-4o: 476 × $2.50 + 1,024 × $1.25 + 420 × $10 per 1M = $0.00667 of tokens
    const cases = [
      { tool: 'web_search' as const, fee: '0.02', cost: '0.026670000000' },
      { tool: 'web_search_preview' as const, fee: '0.05', cost: '0.056670000000' },
    ];
    for (const { tool, fee, cost } of cases) {
      const ask = { model: 'gpt-4o', input: 'what is new?', tools: [{ type: tool }] };
      const { data, response } = await client.responses.create(ask).withResponse();
      expect(data.output.filter((o) => o.type === 'web_search_call')).toHaveLength(OPENAI_SEARCHES);
      const { data: stream, response: streamed } = await client.responses
        .create({ ...ask, stream: true })
        .withResponse();
      for await (const _ of stream);
      for (const r of [response, streamed]) {
        const e = await h.event(r.headers.get('x-tokenledger-event-id')!);
        // 2 calls × $10 or $25 per 1,000 = $0.02 or $0.05
        expect([e.web_search_requests, formatUsd(e.cost_usd!)], `${tool}: tokens + $${fee}`).toEqual([
          2,
          cost,
        ]);
        expect(e.tags.web_search_tool ?? null).toBe(tool === 'web_search' ? null : 'web_search_preview');
      }
    }
  });

  it('legacy completions and embeddings', async () => {
    const c = await client.completions
      .create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi' })
      .withResponse();
    expectUsage(await h.event(c.response.headers.get('x-tokenledger-event-id')!), CHAT_USAGE);
    const em = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'hi' })
      .withResponse();
    expect(em.data.data[0]!.embedding).toHaveLength(3);
    const e = await h.event(em.response.headers.get('x-tokenledger-event-id')!);
    expectUsage(e, { input_tokens: EMBEDDING_TOKENS, output_tokens: 0, cache_read_tokens: 0 });
    expect(e.operation).toBe('embeddings');
  });

  it('meters an embeddings answer over 1 MiB (200 base64 vectors) from its usage, sent byte for byte', async () => {
    const em = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: Array(200).fill('hi'), dimensions: 1536 })
      .withResponse();
    expect(Number(em.response.headers.get('content-length'))).toBeGreaterThan(1 << 20);
    expect(em.data.data).toHaveLength(200);
    // The client decodes each base64 vector itself: every one arrived whole.
    for (const d of em.data.data)
      expect(d.embedding.slice(0, 3)).toEqual([...new Float32Array([0.0023, -0.0093, 0.0157])]);
    expect(em.data.data.every((d) => d.embedding.length === 1536)).toBe(true);
    const e = await h.event(em.response.headers.get('x-tokenledger-event-id')!);
    expectUsage(e, { input_tokens: EMBEDDING_TOKENS, output_tokens: 0, cache_read_tokens: 0 });
    expect(e.model).toBe('text-embedding-3-small');
  });

  it('meters an embeddings answer over 1 MiB of numbers (150 float vectors) from its usage, sent byte for byte', async () => {
    const em = await client.embeddings
      .create({
        model: 'text-embedding-3-small',
        input: Array(150).fill('hi'),
        dimensions: 1536,
        encoding_format: 'float',
      })
      .withResponse();
    expect(Number(em.response.headers.get('content-length'))).toBeGreaterThan(1 << 20);
    expect(em.data.data).toHaveLength(150);
    const vector = Array.from({ length: 1536 }, (_, i) => [0.0023, -0.0093, 0.0157][i % 3]);
    for (const d of em.data.data) expect(d.embedding).toEqual(vector);
    const e = await h.event(em.response.headers.get('x-tokenledger-event-id')!);
    expectUsage(e, { input_tokens: EMBEDDING_TOKENS, output_tokens: 0, cache_read_tokens: 0 });
    expect(e.model).toBe('text-embedding-3-small');
  });

  it('an answer without usage is counted with the tokenizer and marked estimated, not recorded as free', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gpt-4o-mini-nousage',
        messages: [{ role: 'user', content: 'Say hello in ten words.' }],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe(WORDS.join(''));
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({ status: 'ok', error_type: 'usage_missing', cost_source: 'estimated' });
    expect(e.input_tokens).toBeGreaterThan(0);
    // "Hello there, how can I help you today?" in o200k: one token a word and one for each mark.
    expect(e.output_tokens).toBe(10);
    expect(e.cost_usd).toBeGreaterThan(0n);
  });

  it('an embeddings answer without usage counts an input sent as token ids, one token each', async () => {
    // Token ids are what tiktoken-based clients send (LangChain's OpenAIEmbeddings does by default): no text to count.
    const { response } = await client.embeddings
      .create({ model: 'text-embedding-3-small-nousage', input: [[9906, 1917, 11], [15339]] })
      .withResponse();
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'estimated',
      input_tokens: 4,
    });
    expect(e.cost_usd).toBeGreaterThan(0n);
  });

  it('models.list and models.retrieve (SDKs and tools ask at start-up) pass through, not recorded', async () => {
    const before = (await h.all()).length;
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(FAKE_MODELS.openai);
    expect(await client.models.retrieve('gpt-4o')).toEqual({
      id: 'gpt-4o',
      object: 'model',
      created: 1_715_367_049,
      owned_by: 'system',
    });
    expect(h.fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models/gpt-4o' });
    expect(h.fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-caller-own-key');
    // The provider's own 404 for a model it does not know, as it sent it.
    const err = await client.models.retrieve('gpt-nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((await h.all()).length).toBe(before);
  });

  it('moderations and the Responses input token count (free) pass through, with or without a model, not recorded', async () => {
    const before = (await h.all()).length;
    const m = await client.moderations.create({ input: ['hi', 'there'] });
    expect(m.results.map((r) => r.flagged)).toEqual([false, false]);
    expect(h.fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/moderations' });
    const named = await client.moderations.create({ model: 'omni-moderation-latest', input: 'hi' });
    expect(named.model).toBe('omni-moderation-latest');
    const count = await client.responses.inputTokens.count({ model: 'gpt-4o', input: 'hi' });
    expect(count).toEqual({ object: 'response.input_tokens', input_tokens: 1187 });
    expect(h.fake.requests.at(-1)!.path).toBe('/v1/responses/input_tokens');
    expect((await h.all()).length).toBe(before);
  });

  it('stored chat completions (list, retrieve, update, messages, delete) pass through, not recorded', async () => {
    const before = (await h.all()).length;
    const page = await client.chat.completions.list({ model: 'gpt-4o' });
    expect(page.data.map((c) => c.id)).toEqual(['chatcmpl-fake1']);
    expect(h.fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/chat/completions?model=gpt-4o',
    });
    expect((await client.chat.completions.retrieve('chatcmpl-fake1')).id).toBe('chatcmpl-fake1');
    const updated = await client.chat.completions.update('chatcmpl-fake1', { metadata: { reviewed: 'yes' } });
    expect(updated).toMatchObject({ metadata: { reviewed: 'yes' } });
    const messages = await client.chat.completions.messages.list('chatcmpl-fake1');
    expect(messages.data).toHaveLength(1);
    expect(await client.chat.completions.delete('chatcmpl-fake1')).toMatchObject({ deleted: true });
    expect((await h.all()).length).toBe(before);
  });

  it('conversations (the state a response continues) pass through, not recorded; the response using one is', async () => {
    const before = (await h.all()).length;
    const conv = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'hi' }],
      metadata: { topic: 'demo' },
    });
    expect(conv).toMatchObject({ object: 'conversation', metadata: { topic: 'demo' } });
    expect((await client.conversations.retrieve(conv.id)).id).toBe(conv.id);
    const items = await client.conversations.items.list(conv.id);
    expect(items.data).toHaveLength(1);
    expect((await h.all()).length).toBe(before);
    const { response } = await client.responses
      .create({ model: 'gpt-4o', input: 'and then?', conversation: conv.id })
      .withResponse();
    expectUsage(await h.event(response.headers.get('x-tokenledger-event-id')!), CHAT_USAGE);
    expect(await client.conversations.delete(conv.id)).toMatchObject({ deleted: true });
    expect(h.fake.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/v1/conversations/${conv.id}` });
  });

  it('batches, files and speech calls are not proxied: a 404 that says why and what to do', async () => {
    const sent = h.fake.requests.length;
    for (const call of [
      () => client.batches.list(),
      () =>
        client.batches.create({
          input_file_id: 'file-1',
          endpoint: '/v1/responses',
          completion_window: '24h',
        }),
      () => client.files.list(),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('GW_NOT_FOUND');
      expect(String(err)).toMatch(/ is not proxied: batches .*`tokenledger import openai-usage`/);
    }
    const speech = await client.audio.speech
      .create({ model: 'gpt-4o-mini-tts', input: 'x', voice: 'alloy' })
      .catch((e: unknown) => e);
    expect(String(speech)).toContain('POST /v1/audio/speech is not proxied');
    expect(h.fake.requests.length).toBe(sent);
  });

  it("the SDK's retry of a rate-limited call: retry-after kept, each attempt recorded, the call costed once", async () => {
    const retrying = new OpenAI({ apiKey: 'sk-caller-own-key', baseURL: `${h.server.url}/v1` });
    const before = (await h.all()).length;
    const { data: stream, response } = await retrying.chat.completions
      .create({ model: 'gpt-4o-flaky', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    for await (const _ of stream);
    expect(h.fake.requests.slice(-2).map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
    const all = await settledAll(before + 2);
    expect(all.length).toBe(before + 2);
    const refused = all.find((e) => e.model_requested === 'gpt-4o-flaky' && e.status === 'error')!;
    expect(refused).toMatchObject({ error_type: 'requests', input_tokens: 0, output_tokens: 0 });
    expect(refused.cost_usd).toBe(0n);
    expectUsage(await h.event(response.headers.get('x-tokenledger-event-id')!), CHAT_USAGE);
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-flaky', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
  });

  it('upstream errors keep their status and body and are recorded as errors', async () => {
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-e429', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    const id = (err as InstanceType<typeof OpenAI.APIError>).headers?.get('x-tokenledger-event-id');
    const e = await h.event(id!);
    expect(e).toMatchObject({ status: 'error', error_type: 'requests', input_tokens: 0, output_tokens: 0 });
    // It used nothing, so it costs exactly $0 though no price list has the name: not an unpriced event that would
    // mark every report's cost incomplete (docs/pricing.md).
    expect([e.cost_source, e.cost_usd]).toEqual(['computed', 0n]);
  });

  it('an error inside a stream (chat error chunk, Responses error event) is recorded as an error', async () => {
    const { data: chat, response: r1 } = await client.chat.completions
      .create({ model: 'gpt-4o-overloaded', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    const err = await (async () => {
      for await (const _ of chat);
    })().catch((e: unknown) => e);
    expect(String(err)).toContain('The server had an error');
    expect(await settled(r1.headers.get('x-tokenledger-event-id')!)).toMatchObject({
      status: 'error',
      error_type: 'server_error',
      output_tokens: 2,
    });
    const { data: resp, response: r2 } = await client.responses
      .create({ model: 'gpt-4o-overloaded', input: 'hi', stream: true })
      .withResponse();
    const types: string[] = [];
    await (async () => {
      for await (const ev of resp) types.push(ev.type);
    })().catch(() => {});
    expect(await settled(r2.headers.get('x-tokenledger-event-id')!)).toMatchObject({
      status: 'error',
      error_type: 'server_error',
      output_tokens: 1,
    });
  });

  it('a Responses stream that ends in response.failed is an error, with the usage it reported', async () => {
    const { data, response } = await client.responses
      .create({ model: 'gpt-4o-failed', input: 'hi', stream: true })
      .withResponse();
    const types: string[] = [];
    for await (const ev of data) types.push(ev.type);
    expect(types.at(-1)).toBe('response.failed');
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({ status: 'error', error_type: 'server_error', ...CHAT_USAGE });
  });

  it('a slow stream is passed through chunk by chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-slow', messages: [], stream: true });
    const arrivals: number[] = [];
    for await (const _ of stream) arrivals.push(performance.now());
    // 12 chunks 30 ms apart arrive spread out, not all at once at the end.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(200);
  });

  it('a long stream read slowly arrives whole: the gateway waits for the client, nothing dropped or reordered', async () => {
    const ask = (base: string) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
        body: JSON.stringify({ model: 'gpt-4o-long', messages: [], stream: true }),
      });
    const direct = await (await ask(h.fake.url)).text();
    expect(direct.length).toBeGreaterThan(LONG_STREAM_BYTES);
    const viaGateway = await ask(h.server.url);
    // Unread for a while: every buffer between the client and the gateway fills, and the gateway's writes report a
    // full socket long before the upstream has sent everything.
    await new Promise((r) => setTimeout(r, 400));
    expect(await viaGateway.text()).toBe(direct);
    // The model is not in the price catalog (a test name): its tokens are what the upstream reported all the same.
    const e = await h.event(viaGateway.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({ status: 'ok', ...CHAT_USAGE });
  });

  it('a stream whose upstream lingers after its last event still gets that event at once', async () => {
    // The gateway holds a read that ends the stream until the call is in the log, to send it with the end in one
    // write; a read the upstream does not end at once must not wait for the end.
    const t0 = performance.now();
    const r = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: JSON.stringify({ model: 'gpt-4o-lingering', messages: [], stream: true }),
    });
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let doneAt = 0;
    for (let c = await reader.read(); !c.done; c = await reader.read()) {
      text += decoder.decode(c.value, { stream: true });
      if (doneAt === 0 && text.includes('data: [DONE]')) doneAt = performance.now() - t0;
    }
    const endAt = performance.now() - t0;
    expect(doneAt).toBeGreaterThan(0);
    // The upstream ends its response 300 ms after [DONE].
    expect(endAt - doneAt).toBeGreaterThan(200);
  });

  it("a stream's headers reach the client when the upstream sends them, not with its first chunk", async () => {
    const t0 = performance.now();
    const stream = await client.chat.completions.create({ model: 'gpt-4o-late', messages: [], stream: true });
    const headersAt = performance.now() - t0;
    let firstAt = 0;
    for await (const _ of stream) firstAt ||= performance.now() - t0;
    // The upstream waits 300 ms between its headers and its first chunk.
    expect(firstAt).toBeGreaterThanOrEqual(290);
    expect(headersAt).toBeLessThan(firstAt - 150);
  });

  it('a stream the upstream breaks reaches the client as an error and is recorded, estimated', async () => {
    const before = (await h.all()).length;
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-broken',
      messages: [{ role: 'user', content: 'tell me' }],
      stream: true,
    });
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const events = await h.all();
    expect(events.length).toBe(before + 1);
    const e = events.find((x) => x.error_type === 'upstream_stream_broken')!;
    expect(e.status).toBe('error');
    expect(e.output_tokens).toBeGreaterThan(0);
    expect(e.input_tokens).toBeGreaterThan(0);
  });

  // A tool's result (function_call_output.output) and the model's own call before it (function_call.arguments) are
  // input the provider bills: a call left before its usage counts them, however large the result.
  it('a Responses stream the client leaves before any usage counts the function calls and their outputs as input', async () => {
    const result = 'Paris: 18 degrees, light wind from the west, clear skies until the evening. '.repeat(40);
    const args = JSON.stringify({
      city: 'Paris',
      units: 'celsius',
      detail: 'full forecast for today '.repeat(20),
    });
    const leave = async (withTools: boolean) => {
      const { data: stream, response } = await client.responses
        .create({
          model: 'gpt-4o-late',
          input: [
            { role: 'user', content: 'What is the weather in Paris?' },
            ...(withTools
              ? [
                  { type: 'function_call' as const, call_id: 'call_1', name: 'get_weather', arguments: args },
                  { type: 'function_call_output' as const, call_id: 'call_1', output: result },
                ]
              : []),
          ],
          stream: true,
        })
        .withResponse();
      // The upstream sent its headers and waits 300 ms before its first event: the client leaves now.
      stream.controller.abort();
      const id = response.headers.get('x-tokenledger-event-id')!;
      return h.recorded(id);
    };
    const bare = await leave(false);
    const withTools = await leave(true);
    expect(withTools.status).toBe('aborted');
    expect(withTools.input_tokens - bare.input_tokens).toBeGreaterThanOrEqual(
      (await countPromptTokens(args)) + (await countPromptTokens(result)),
    );
  });

  it('a client that disconnects mid-stream aborts the upstream call; the event is aborted and estimated', async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      {
        model: 'gpt-4o-hang',
        messages: [{ role: 'user', content: 'write a long story about a cat' }],
        stream: true,
      },
      { signal: ac.signal },
    );
    const seen: string[] = [];
    await (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.length === 3) ac.abort();
      }
    })().catch(() => {});
    let e: UsageEvent | undefined;
    for (let i = 0; i < 50 && e === undefined; i++) {
      e = (await h.all()).find((x) => x.status === 'aborted' && x.model.startsWith('gpt-4o-hang'));
      if (e === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(e).toBeDefined();
    expect(e!.error_type).toBe('client_disconnected');
    // "Hello", " there" were consumed: two tokens; the input is the prompt's token count.
    expect(e!.output_tokens).toBe(2);
    expect(e!.input_tokens).toBe(7);
  });
  it('a client that leaves while the gateway still holds an answer the upstream has finished is recorded as aborted', async () => {
    // The whole stream arrives in a few kB of gzip: the upstream is done at once, while the gateway still waits for
    // the client to read what they hold.
    const res = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: JSON.stringify({
        model: 'gpt-4o-long-zipped',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    });
    const id = res.headers.get('x-tokenledger-event-id')!;
    await new Promise((r) => setTimeout(r, 400));
    await res.body!.cancel();
    let e: UsageEvent | undefined;
    for (let i = 0; i < 50 && e === undefined; i++) {
      e = (await h.all()).find((x) => x.event_id === id);
      if (e === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(e).toMatchObject({ status: 'aborted', error_type: 'client_disconnected' });
    expect(e!.output_tokens).toBeGreaterThan(0);
  });
});

describe('Responses API background mode (official openai client)', () => {
  const ofResponse = async (id: string) => (await h.all()).filter((e) => e.source_ref === id);

  it('a queued response is recorded once, with its real usage, when a poll sees it finished', async () => {
    const { data: queued, response } = await client.responses
      .create(
        { model: 'gpt-4o', input: 'hi', background: true },
        { headers: { 'x-tokenledger-team': 'research' } },
      )
      .withResponse();
    expect(queued.status).toBe('queued');
    // Nothing is known yet: no estimate is recorded for a response that has not run.
    expect(await ofResponse(queued.id)).toEqual([]);
    const id = response.headers.get('x-tokenledger-event-id');
    expect(id).toBe(eventId('gateway', queued.id));
    const statuses: string[] = [];
    let polled: OpenAI.Responses.Response = queued;
    while (polled.status === 'queued' || polled.status === 'in_progress') {
      polled = await client.responses.retrieve(queued.id);
      statuses.push(polled.status!);
    }
    expect(statuses).toEqual(['in_progress', 'completed']);
    expect(polled.output_text).toBe(WORDS.join(''));
    // Polled again after it finished: still one event.
    const { response: again } = await client.responses.retrieve(queued.id).withResponse();
    expect(again.headers.get('x-tokenledger-event-id')).toBe(id);
    const events = await ofResponse(queued.id);
    expect(events).toHaveLength(1);
    expectUsage(events[0]!, CHAT_USAGE);
    // Charged to the call that created it, at the response's creation time and for the time it ran.
    expect(events[0]).toMatchObject({ event_id: id, team: 'research', operation: 'responses', status: 'ok' });
    expect(events[0]!.ts).toBe(queued.created_at * 1_000_000);
    expect(events[0]!.duration_ms).toBe(12_000);
  });

  it('a response the gateway did not see created (a restart) is recorded by the poll, attributed to the poller', async () => {
    const id = await backgroundMadeElsewhere(h, 'gpt-4o');
    for (let i = 0; i < 3; i++)
      await client.responses.retrieve(id, {}, { headers: { 'x-tokenledger-team': 'ops' } });
    const events = await ofResponse(id);
    expect(events).toHaveLength(1);
    expectUsage(events[0]!, CHAT_USAGE);
    expect(events[0]).toMatchObject({ event_id: eventId('gateway', id), team: 'ops' });
  });

  it('streamed at creation: recorded from its final event under the response id, and not again by a retrieve', async () => {
    const { data: stream, response } = await client.responses
      .create({ model: 'gpt-4o', input: 'hi', background: true, stream: true })
      .withResponse();
    let id = '';
    for await (const ev of stream) if (ev.type === 'response.created') id = ev.response.id;
    expect(response.headers.get('x-tokenledger-event-id')).toBe(eventId('gateway', id));
    await client.responses.retrieve(id);
    const events = await ofResponse(id);
    expect(events).toHaveLength(1);
    expectUsage(events[0]!, CHAT_USAGE);
  });

  it('a client that leaves its stream leaves the response running: recorded once when its resumed stream ends', async () => {
    const ac = new AbortController();
    const stream = await client.responses.create(
      { model: 'gpt-4o-slow', input: 'hi', background: true, stream: true },
      { signal: ac.signal },
    );
    let id = '';
    let last = 0;
    await (async () => {
      for await (const ev of stream) {
        if (ev.type === 'response.created') id = ev.response.id;
        last = ev.sequence_number;
        if (ev.type === 'response.output_text.delta') ac.abort();
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    // Not recorded as an abandoned call: the response runs on upstream.
    expect(await ofResponse(id)).toEqual([]);
    // Its stream resumed and left again: still nothing, and the gateway saw no fault of its own in that.
    const again = new AbortController();
    await client.responses
      .stream({ response_id: id }, { signal: again.signal })
      .on('response.output_text.delta', () => again.abort())
      .finalResponse()
      .catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(await ofResponse(id)).toEqual([]);
    expect(await (await fetch(`${h.server.url}/metrics`)).text()).not.toContain('GW_INTERNAL');
    const resumed = await client.responses.stream({ response_id: id, starting_after: last }).finalResponse();
    expect(resumed.status).toBe('completed');
    await client.responses.retrieve(id);
    const events = await ofResponse(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: 'ok',
      cost_source: 'unpriced',
      input_tokens: CHAT_USAGE.input_tokens,
      output_tokens: CHAT_USAGE.output_tokens,
    });
  });

  it('a finished stream the log could not record is recorded, for its caller, by the next call that sees it finished', async () => {
    const wal = h.server.wal;
    const append = wal.append;
    wal.append = () => Promise.reject(new Error('no space left on device'));
    let id = '';
    try {
      const stream = await client.responses.create(
        { model: 'gpt-4o-slow', input: 'hi', background: true, stream: true },
        { headers: { 'x-tokenledger-team': 'research' } },
      );
      await (async () => {
        for await (const ev of stream) if (ev.type === 'response.created') id = ev.response.id;
      })().catch(() => {});
    } finally {
      wal.append = append;
    }
    expect(id).not.toBe('');
    expect(await ofResponse(id)).toEqual([]);
    expect((await client.responses.retrieve(id)).status).toBe('completed');
    const events = await ofResponse(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_id: eventId('gateway', id), team: 'research', status: 'ok' });
    expect(events[0]!.output_tokens).toBe(CHAT_USAGE.output_tokens);
  });

  it('a cancelled response is recorded once, as aborted, with the usage it reports (none before it ran)', async () => {
    const queued = await client.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
    const cancelled = await client.responses.cancel(queued.id);
    expect(cancelled.status).toBe('cancelled');
    await client.responses.retrieve(queued.id);
    const events = await ofResponse(queued.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: 'aborted',
      error_type: 'response_cancelled',
      input_tokens: 0,
      output_tokens: 0,
      cost_source: 'computed',
    });
  });

  it("a stored response's input items and its deletion pass through, not recorded", async () => {
    const queued = await client.responses.create({ model: 'gpt-4o', input: 'hi', background: true });
    const items = await client.responses.inputItems.list(queued.id);
    expect(items.data.map((i) => i.id)).toEqual(['msg_in1']);
    await client.responses.delete(queued.id);
    expect(h.fake.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/v1/responses/${queued.id}` });
    expect(await ofResponse(queued.id)).toEqual([]);
    // An id the upstream never made: its own 404, as sent.
    const err = await client.responses.retrieve('resp_nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
