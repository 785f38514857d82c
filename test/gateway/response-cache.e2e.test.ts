import { readFile } from 'node:fs/promises';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheCommand } from '../../src/cli/cache.js';
import { keysCreate } from '../../src/cli/keys.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { formatUsd } from '../../src/money/money.js';
import { type Harness, startHarnessWithConfig } from './helpers.js';

// The response cache (docs/gateway.md, Response cache), through the official clients: a request the gateway saw
// answered before is answered again without going upstream, recorded as a call of no tokens, and tagged with the
// event whose answer it got.

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  h = await startHarnessWithConfig(['cache:', '  ttl_seconds: 2', ''].join('\n'), {
    OPENAI_API_KEY: 'sk-provider',
  });
  openai = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const upstreamCalls = () => h.fake.requests.length;
const question = (text: string) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: text }],
});

async function chat(
  text: string,
  headers: Record<string, string> = {},
  client = openai,
  metadata?: Record<string, string>,
) {
  const { data, response } = await client.chat.completions
    .create({ ...question(text), ...(metadata && { metadata }) }, { headers })
    .withResponse();
  return {
    data,
    headers: response.headers,
    event: await h.event(response.headers.get('x-tokenledger-event-id')!),
  };
}

/** Until the server has read the keys just made: it reads the keys file again at most once a second. */
const keysRead = () => new Promise((r) => setTimeout(r, 1_100));

/** The Prometheus lines of the response cache. */
async function cacheMetrics(): Promise<string[]> {
  const text = await (await fetch(`${h.server.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('tokenledger_gateway_cache_'));
}

describe('the response cache (official openai and anthropic clients)', () => {
  let first: Awaited<ReturnType<typeof chat>>;
  let again: Awaited<ReturnType<typeof chat>>;

  it('sends a request it has not seen upstream, and records it as a miss', async () => {
    const before = upstreamCalls();
    first = await chat('What is a ledger?');
    expect(upstreamCalls()).toBe(before + 1);
    expect(first.headers.get('x-tokenledger-cache')).toBe('miss');
    expect(first.event.tags).toMatchObject({ gateway_cache: 'miss' });
    expect(first.event.input_tokens + first.event.output_tokens).toBeGreaterThan(0);
    expect(first.event.cost_usd).toBeGreaterThan(0n);
  });

  it('answers the same request again from the cache: the same answer, nothing sent upstream', async () => {
    const before = upstreamCalls();
    again = await chat('What is a ledger?');
    expect(upstreamCalls()).toBe(before);
    expect(again.headers.get('x-tokenledger-cache')).toBe('hit');
    expect(again.data).toEqual(first.data);
  });

  it('records the hit as a call of its model with no tokens and no cost, naming the event it was answered from', async () => {
    const e = again.event;
    expect(e.event_id).not.toBe(first.event.event_id);
    expect(e).toMatchObject({ requests: 1, status: 'ok', error_type: null, model: first.event.model });
    expect(e.tags).toMatchObject({ gateway_cache: 'hit' });
    expect(e.source_ref).toBe(`cache:${first.event.event_id}`);
    for (const f of ['input_tokens', 'cache_read_tokens', 'output_tokens', 'reasoning_tokens'] as const)
      expect(e[f]).toBe(0);
    expect(e.cost_usd).toBe(0n);
    expect(again.headers.get('x-tokenledger-cost-usd')).toBe(formatUsd(0n));
  });

  it('counts hits and misses in /metrics, and what the hits saved exactly', async () => {
    const lines = await cacheMetrics();
    expect(lines).toContain('tokenledger_gateway_cache_lookups_total{upstream="openai",outcome="hit"} 1');
    expect(lines).toContain(
      `tokenledger_gateway_cache_saved_usd_total{upstream="openai"} ${formatUsd(first.event.cost_usd!)}`,
    );
  });

  it('sends another question, or the same one with x-tokenledger-cache: off, upstream', async () => {
    const before = upstreamCalls();
    const other = await chat('What is a journal?');
    expect(other.headers.get('x-tokenledger-cache')).toBe('miss');
    const off = await chat('What is a ledger?', { 'x-tokenledger-cache': 'off' });
    expect(upstreamCalls()).toBe(before + 2);
    expect(off.headers.get('x-tokenledger-cache')).toBeNull();
    expect(off.event.tags).not.toHaveProperty('gateway_cache');
    expect(off.event.output_tokens).toBeGreaterThan(0);
  });

  it('lets no caller name its own call a hit, which would count in what the cache saved', async () => {
    const named = await openai.chat.completions
      .create(question('x'), { headers: { 'x-tokenledger-tags': 'gateway_cache=hit' } })
      .catch((e: unknown) => e);
    expect(named).toBeInstanceOf(OpenAI.BadRequestError);
    expect((named as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      code: 'GW_BAD_ATTRIBUTION',
      message: expect.stringContaining('"gateway_cache" is a tag tokenledger sets from the call itself'),
    });
    const metadata = await chat('y', {}, openai, { gateway_cache: 'hit' });
    expect(metadata.event.tags).toMatchObject({ gateway_cache: 'miss' });
  });

  it("never gives one caller's answer to a caller with another provider key", async () => {
    const stranger = new OpenAI({ apiKey: 'sk-stranger', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const before = upstreamCalls();
    const theirs = await chat('What is a ledger?', {}, stranger);
    expect(upstreamCalls()).toBe(before + 1);
    expect(theirs.headers.get('x-tokenledger-cache')).toBe('miss');
  });

  it("never gives one virtual key's answer to another: each key's calls are its own", async () => {
    const clientOf = async (user: string) => {
      const key = await keysCreate({ db: h.ledger, team: 'search', user }, () => {});
      return new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    };
    const ana = await clientOf('ana');
    const bo = await clientOf('bo');
    await keysRead();
    const before = upstreamCalls();
    const asked = await chat('What is a ledger?', {}, ana);
    const anaAgain = await chat('What is a ledger?', {}, ana);
    const boAsked = await chat('What is a ledger?', {}, bo);
    expect(upstreamCalls()).toBe(before + 2);
    expect([asked, anaAgain, boAsked].map((c) => c.headers.get('x-tokenledger-cache'))).toEqual([
      'miss',
      'hit',
      'miss',
    ]);
    expect(anaAgain.event).toMatchObject({ user: 'ana', team: 'search', api_key_id: asked.event.api_key_id });
  });

  it("keeps a hit's text, as its first answer's, for a key that keeps call text", async () => {
    const key = await keysCreate({ db: h.ledger, team: 'support', user: 'cy', storeContent: true }, () => {});
    await keysRead();
    const client = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const ask = { ...question('What did we ship?'), stream: true as const };
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { data, response } = await client.chat.completions.create(ask).withResponse();
      for await (const _ of data);
      ids.push(response.headers.get('x-tokenledger-event-id')!);
    }
    const [first, hit] = await Promise.all(ids.map((id) => h.event(id)));
    expect(hit!.tags).toMatchObject({ gateway_cache: 'hit' });
    const texts = await Promise.all([first!, hit!].map((e) => h.server.store.content(e.event_id, e.ts)));
    expect(texts[0]!.completion.length).toBeGreaterThan(0);
    expect(texts[1]).toMatchObject({ request: texts[0]!.request, completion: texts[0]!.completion });
  });

  it('does not keep an upstream error, nor an answer without usage', async () => {
    const failing = { model: 'gpt-4o-mini-e500', messages: [{ role: 'user' as const, content: 'x' }] };
    const before = upstreamCalls();
    for (let i = 0; i < 2; i++)
      await expect(openai.chat.completions.create(failing)).rejects.toBeInstanceOf(
        OpenAI.InternalServerError,
      );
    const ask = { model: 'text-embedding-3-small-nousage', input: 'a ledger' };
    for (let i = 0; i < 2; i++) await openai.embeddings.create(ask);
    expect(upstreamCalls()).toBe(before + 4);
  });

  it('answers a stream again with the same events, the usage the client did not ask for still hidden', async () => {
    const ask = { ...question('Stream me a ledger.'), stream: true as const };
    const read = async () => {
      const { data, response } = await openai.chat.completions.create(ask).withResponse();
      const chunks: unknown[] = [];
      for await (const c of data) chunks.push(c);
      return { chunks, response };
    };
    const before = upstreamCalls();
    const a = await read();
    const b = await read();
    expect(upstreamCalls()).toBe(before + 1);
    expect(a.response.headers.get('x-tokenledger-cache')).toBe('miss');
    expect(b.response.headers.get('x-tokenledger-cache')).toBe('hit');
    expect(b.chunks).toEqual(a.chunks);
    expect(a.chunks.length).toBeGreaterThan(2);
    expect(a.chunks.some((c) => (c as { usage?: unknown }).usage != null)).toBe(false);
    const hit = await h.event(b.response.headers.get('x-tokenledger-event-id')!);
    const miss = await h.event(a.response.headers.get('x-tokenledger-event-id')!);
    expect(miss.output_tokens).toBeGreaterThan(0);
    expect(hit.tags).toMatchObject({ gateway_cache: 'hit' });
    expect(hit.source_ref).toBe(`cache:${miss.event_id}`);
    expect(hit.output_tokens).toBe(0);
  });

  it('answers an Anthropic message again, streamed and not', async () => {
    const ask = {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'Hi' }],
    };
    const before = upstreamCalls();
    const one = await anthropic.messages.create(ask);
    const two = await anthropic.messages.create(ask);
    expect(two).toEqual(one);
    const streamed = async () => {
      const stream = anthropic.messages.stream(ask);
      const text: string[] = [];
      stream.on('text', (t) => text.push(t));
      return { message: await stream.finalMessage(), text: text.join('') };
    };
    const s1 = await streamed();
    const s2 = await streamed();
    expect(upstreamCalls()).toBe(before + 2);
    expect(s2).toEqual(s1);
    expect(s1.text.length).toBeGreaterThan(0);
    expect(s2.message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('sends a request upstream again once its answer is older than ttl_seconds', async () => {
    await chat('A question for later.');
    const before = upstreamCalls();
    await new Promise((r) => setTimeout(r, 2_100));
    const later = await chat('A question for later.');
    expect(upstreamCalls()).toBe(before + 1);
    expect(later.headers.get('x-tokenledger-cache')).toBe('miss');
  });

  it('keeps every answer and hit in the ledger: hits cost nothing, misses what they used', async () => {
    const all: UsageEvent[] = await h.all();
    const hits = all.filter((e) => e.tags.gateway_cache === 'hit');
    expect(hits.length).toBe(6);
    for (const e of hits) expect(e.cost_usd).toBe(0n);
    const answered = all.filter((e) => e.tags.gateway_cache === 'miss' && e.status === 'ok');
    expect(answered.every((e) => e.cost_usd! > 0n)).toBe(true);
  });

  it("says what the cache saved, through the API and the CLI: what each hit's first answer cost", async () => {
    const all = await h.all();
    const byId = new Map(all.map((e) => [e.event_id, e]));
    const hits = all.filter((e) => e.tags.gateway_cache === 'hit');
    const misses = all.filter((e) => e.tags.gateway_cache === 'miss');
    const saved = hits.reduce((s, e) => s + byId.get(e.source_ref!.slice('cache:'.length))!.cost_usd!, 0n);
    const spent = misses.reduce((s, e) => s + (e.cost_usd ?? 0n), 0n);
    expect(saved).toBeGreaterThan(0n);
    const { admin_token } = JSON.parse(await readFile(h.ledger.replace(/\.duckdb$/, '.server.json'), 'utf8'));
    const res = await fetch(`${h.server.url}/api/cache?dims=provider`, {
      headers: { authorization: `Bearer ${admin_token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { groups: Record<string, unknown>[]; total: Record<string, unknown> };
    expect(body.total).toEqual({
      lookups: hits.length + misses.length,
      hits: hits.length,
      hit_rate: hits.length / (hits.length + misses.length),
      spent_usd: formatUsd(spent),
      saved_usd: formatUsd(saved),
      unpriced_hits: 0,
    });
    // Most saved first: Claude's answers cost more than GPT-4o mini's.
    expect(body.groups.map((g) => [g.provider, g.hits])).toEqual([
      ['anthropic', 2],
      ['openai', 4],
    ]);
    // The CLI, reading through the server that holds the ledger, gives the same.
    let printed = '';
    await cacheCommand({ db: h.ledger, format: 'json' }, (s) => {
      printed += s;
    });
    expect(JSON.parse(printed).total).toEqual(body.total);
    printed = '';
    await cacheCommand({ db: h.ledger, by: 'provider' }, (s) => {
      printed += s;
    });
    expect(printed).toMatch(/anthropic +\d+ +2 +\d+\.\d%/);
    expect(printed).toContain('saved: what the answers served again cost when first asked');
  });
});

// After the suite above, whose counts it would change.
describe('a burst of the same request', () => {
  it('is sent upstream once: the rest wait for its answer and are hits of it', async () => {
    const before = upstreamCalls();
    const ask = {
      model: 'gpt-4o-mini-late',
      messages: [{ role: 'user' as const, content: 'Asked at once' }],
    };
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => openai.chat.completions.create(ask).withResponse()),
    );
    expect(upstreamCalls()).toBe(before + 1);
    const outcomes = burst.map((b) => b.response.headers.get('x-tokenledger-cache'));
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'hit')).toHaveLength(5);
    const first = burst[outcomes.indexOf('miss')]!;
    for (const b of burst) expect(b.data).toEqual(first.data);
    const firstId = first.response.headers.get('x-tokenledger-event-id')!;
    for (const b of burst.filter((x) => x !== first)) {
      const e = await h.event(b.response.headers.get('x-tokenledger-event-id')!);
      expect(e).toMatchObject({
        source_ref: `cache:${firstId}`,
        output_tokens: 0,
        tags: { gateway_cache: 'hit' },
      });
    }

    // Streamed, each call goes upstream: waiting for another's whole answer would hold back its first bytes.
    const streamed = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const stream = await openai.chat.completions.create({ ...ask, stream: true });
        for await (const _ of stream);
      }),
    );
    expect(streamed).toHaveLength(3);
    expect(upstreamCalls()).toBe(before + 4);
  });
});
