import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { type Harness, startHarnessWithConfig } from './helpers.js';

// The response cache in a Redis two gateway instances share (`cache: {store: redis}`), through the official openai
// client: an answer one instance got is served by the other, and a Redis that is gone turns lookups into misses,
// never into errors.

const CONFIG = ['cache:', '  store: redis', '  ttl_seconds: 60', ''].join('\n');

let redis: TestRedis;
let a: Harness;
let b: Harness;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  const env = { TOKENLEDGER_REDIS_URL: redis.url };
  a = await startHarnessWithConfig(CONFIG, env);
  b = await startHarnessWithConfig(CONFIG, env);
});
afterAll(async () => {
  await a.close();
  await b.close();
  await redis.stop();
});

const clientOf = (h: Harness) =>
  new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
/** A question no earlier run asked: Redis outlives a test run on a developer's machine. */
const question = () => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: `What is a ledger? (${randomBytes(6).toString('hex')})` }],
});

describe('the response cache in a shared Redis (official openai client)', () => {
  it("answers a call to one instance with the answer another got, which the first's ledger holds", async () => {
    const ask = question();
    const first = await clientOf(a).chat.completions.create(ask).withResponse();
    const before = b.fake.requests.length;
    const again = await clientOf(b).chat.completions.create(ask).withResponse();
    expect(b.fake.requests.length).toBe(before);
    expect(again.response.headers.get('x-tokenledger-cache')).toBe('hit');
    expect(again.data).toEqual(first.data);
    const original = await a.event(first.response.headers.get('x-tokenledger-event-id')!);
    const hit = await b.event(again.response.headers.get('x-tokenledger-event-id')!);
    expect(hit.source_ref).toBe(`cache:${original.event_id}`);
    expect([hit.output_tokens, hit.cost_usd]).toEqual([0, 0n]);
    // Each instance here has a ledger of its own: the hit's first answer is not in the second's, so what it saved
    // is unknown there, not $0 (instances that share a ClickHouse ledger see it).
    expect(await b.server.store.cacheSavings({ dimensions: [] })).toEqual([
      { dims: {}, hits: 1, saved_usd: 0n, unpriced: 1 },
    ]);
  });

  it('answers a stream again from the other instance with the same events', async () => {
    const ask = { ...question(), stream: true as const };
    const read = async (h: Harness) => {
      const { data, response } = await clientOf(h).chat.completions.create(ask).withResponse();
      const chunks: unknown[] = [];
      for await (const c of data) chunks.push(c);
      return { chunks, cache: response.headers.get('x-tokenledger-cache') };
    };
    const first = await read(b);
    const again = await read(a);
    expect([first.cache, again.cache]).toEqual(['miss', 'hit']);
    expect(again.chunks).toEqual(first.chunks);
  });

  it('sends calls upstream while Redis is gone, and counts the lookups it could not make', async () => {
    await redis.restartable!.kill();
    const before = a.fake.requests.length;
    const { data, response } = await clientOf(a).chat.completions.create(question()).withResponse();
    expect(data.choices.length).toBeGreaterThan(0);
    expect(response.headers.get('x-tokenledger-cache')).toBe('miss');
    expect(a.fake.requests.length).toBe(before + 1);
    const metrics = await (await fetch(`${a.server.url}/metrics`)).text();
    expect(metrics).toMatch(/^tokenledger_gateway_cache_unavailable_total [1-9]/m);
    // Back, it serves answers again.
    await redis.restartable!.start();
    const ask = question();
    // ioredis reconnects on its own, within a second.
    await expect
      .poll(
        async () => {
          await clientOf(a).chat.completions.create(ask);
          const r = await clientOf(b).chat.completions.create(ask).withResponse();
          return r.response.headers.get('x-tokenledger-cache');
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe('hit');
  });
});
