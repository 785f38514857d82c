import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate } from '../../src/cli/keys.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { type FakeProvider, startFakeProvider } from './fake-provider.js';

// Two deployments of the same models (two accounts, or two regions), each with its own provider key, and the
// gateway's `models.balance` spreading calls over them (docs/gateway.md, Load balancing).
let eu: FakeProvider;
let us: FakeProvider;
let dir: string;
let server: RunningServer;
let client: OpenAI;
let key: string;

beforeAll(async () => {
  eu = await startFakeProvider();
  us = await startFakeProvider();
  dir = await mkdtemp(join(tmpdir(), 'tl-gw-balance-'));
  const config = join(dir, 'tokenledger.config.yaml');
  await writeFile(
    config,
    [
      'upstreams:',
      `  eu: { type: openai, base_url: "${eu.url}/v1", key_env: EU_KEY, provider: openai }`,
      `  us: { type: openai, base_url: "${us.url}/v1", key_env: US_KEY, provider: openai }`,
      `  eu-ant: { type: anthropic, base_url: "${eu.url}", key_env: EU_KEY, provider: anthropic }`,
      `  us-ant: { type: anthropic, base_url: "${us.url}", key_env: US_KEY, provider: anthropic }`,
      'models:',
      '  balance:',
      '    gpt-4o: { eu/gpt-4o: 3, us/gpt-4o: 1 }',
      // The fake provider answers 429 with retry-after: 1 to a model named *-busy: eu is at its limit for this one.
      '    gpt-4o-mini: { eu/gpt-4o-mini-busy: 1, us/gpt-4o-mini: 1 }',
      '    claude-sonnet-4-5: { eu-ant/claude-sonnet-4-5-busy: 1, us-ant/claude-sonnet-4-5: 1 }',
      '  fallbacks: { gpt-4o-mini: [gpt-4.1-mini] }',
      '',
    ].join('\n'),
  );
  const ledger = join(dir, 'ledger.duckdb');
  key = await keysCreate({ db: ledger, team: 'search' }, () => {});
  server = await startServer({
    ledgerPath: ledger,
    configPath: config,
    port: 0,
    // The upstream a request for gpt-4o names, without balance: the eu fake, as the built-in `openai`.
    upstream: [`openai=${eu.url}/v1`],
    cwd: dir,
    env: { EU_KEY: 'sk-eu-provider', US_KEY: 'sk-us-provider', OPENAI_API_KEY: 'sk-openai-provider' },
    openStore: (p) => createDuckDbStore(p),
    log: () => {},
  });
  client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
  await eu?.close();
  await us?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Which deployments a call reached: `eu`, `us`, or `eu+us` when one refused it and the other answered. */
async function reached(call: () => Promise<unknown>): Promise<string> {
  const before = [eu.requests.length, us.requests.length];
  await call();
  const saw = [eu.requests.length > before[0]! && 'eu', us.requests.length > before[1]! && 'us'];
  return saw.filter(Boolean).join('+');
}

/** `n` calls of `model` in turn: where each went, and its event id. */
async function callEach(model: string, n: number): Promise<{ where: string[]; events: string[] }> {
  const where: string[] = [];
  const events: string[] = [];
  for (let i = 0; i < n; i++)
    where.push(
      await reached(async () => {
        const { response } = await client.chat.completions
          .create({ model, messages: [{ role: 'user', content: 'hi' }] })
          .withResponse();
        events.push(response.headers.get('x-tokenledger-event-id')!);
      }),
    );
  return { where, events };
}

async function ledgerEvents(ids: readonly string[]): Promise<UsageEvent[]> {
  await server.wal.drain();
  const all = await server.store.events({ limit: 10_000 });
  return ids.map((id) => all.find((e) => e.event_id === id)!);
}

describe('models.balance', () => {
  it("spreads a model's calls over its targets by weight, each with its upstream's own key, priced as the model", async () => {
    const { where, events } = await callEach('gpt-4o', 8);
    // Three of every four to eu, spread out rather than in a run.
    expect(where).toEqual(['eu', 'eu', 'us', 'eu', 'eu', 'eu', 'us', 'eu']);
    expect(new Set(eu.requests.map((r) => r.headers.authorization))).toEqual(
      new Set(['Bearer sk-eu-provider']),
    );
    expect(us.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer sk-us-provider',
      'Bearer sk-us-provider',
    ]);
    // Sent as the model itself, not as the target's `upstream/model` name.
    expect(new Set([...eu.requests, ...us.requests].map((r) => JSON.parse(r.body).model))).toEqual(
      new Set(['gpt-4o']),
    );
    const recorded = await ledgerEvents(events);
    // Each call says which upstream served it: both price as openai, and each is billed to its own account.
    expect(recorded.map((e) => e.tags.gateway_upstream)).toEqual(where);
    expect(new Set(recorded.map((e) => `${e.provider} ${e.model} ${e.status} ${e.cost_usd}`)).size).toBe(1);
    expect(recorded[0]).toMatchObject({ provider: 'openai', model: 'gpt-4o', status: 'ok', team: 'search' });
    expect(recorded[0]!.cost_usd).toBeGreaterThan(0n);
  });

  it('tries the other targets on a 429 before the model’s fallbacks, and rests the one that refused for its retry-after', async () => {
    const first = await callEach('gpt-4o-mini', 3);
    // The first call's turn is eu's, which refuses it (429, retry-after: 1): us answers. eu then rests for a second,
    // and us takes every call.
    expect(first.where).toEqual(['eu+us', 'us', 'us']);
    expect(eu.requests.at(-1)!.body).toContain('"gpt-4o-mini-busy"');
    await new Promise((r) => setTimeout(r, 1100));
    // Rested, eu has its turns again (and refuses again).
    const later = await callEach('gpt-4o-mini', 2);
    expect(later.where).toEqual(['us', 'eu+us']);
    const answered = await ledgerEvents([...first.events, ...later.events]);
    expect(answered.map((e) => [e.model, e.status])).toEqual(Array(5).fill(['gpt-4o-mini', 'ok']));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      'tokenledger_gateway_balance_rests_total{model="gpt-4o-mini",target="eu/gpt-4o-mini-busy"} 2',
    );
    const refused = (await server.store.events({ limit: 10_000 })).filter((e) => e.status === 'error');
    expect(
      refused.map((e) => [e.model_requested, e.error_type, e.cost_usd, e.tags.gateway_upstream]),
    ).toEqual([
      ['gpt-4o-mini-busy', 'requests', 0n, 'eu'],
      ['gpt-4o-mini-busy', 'requests', 0n, 'eu'],
    ]);
  });

  it('balances Anthropic calls the same way: the overloaded one (529) rests, with its own key for each', async () => {
    const anthropic = new Anthropic({ apiKey: key, baseURL: server.url, maxRetries: 0 });
    const where: string[] = [];
    for (let i = 0; i < 3; i++)
      where.push(
        await reached(async () => {
          const m = await anthropic.messages.create({
            model: 'claude-sonnet-4-5',
            max_tokens: 100,
            messages: [{ role: 'user', content: 'hi' }],
          });
          expect(m.model).toBe('claude-sonnet-4-5');
        }),
      );
    expect(where).toEqual(['eu+us', 'us', 'us']);
    expect(eu.requests.at(-1)!.headers['x-api-key']).toBe('sk-eu-provider');
    expect(new Set(us.requests.slice(-3).map((r) => r.headers['x-api-key']))).toEqual(
      new Set(['sk-us-provider']),
    );
  });

  it('lets no caller name the upstream tag: a header naming it is refused, a metadata key is not made a tag', async () => {
    const refused = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [] }, { headers: { 'x-tokenledger-tags': 'gateway_upstream=us' } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      status: 400,
      message: expect.stringContaining('"gateway_upstream" is a tag tokenledger sets from the call itself'),
    });
    const before = us.requests.length;
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [], metadata: { gateway_upstream: 'elsewhere' } })
      .withResponse();
    const [e] = await ledgerEvents([response.headers.get('x-tokenledger-event-id')!]);
    expect(e!.tags.gateway_upstream).toBe(us.requests.length > before ? 'us' : 'eu');
  });

  it("sends a caller's own provider key only where its request names, unbalanced", async () => {
    const before = us.requests.length;
    const own = new OpenAI({ apiKey: 'sk-caller-own', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const events: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await own.chat.completions
        .create({ model: 'gpt-4o', messages: [] })
        .withResponse();
      events.push(response.headers.get('x-tokenledger-event-id')!);
    }
    // Not a balanced call: no upstream tag.
    expect((await ledgerEvents(events)).map((e) => e.tags.gateway_upstream)).toEqual(
      Array(4).fill(undefined),
    );
    // gpt-4o names the built-in openai upstream (the eu fake here): all four go there, none to us.
    expect(us.requests.length).toBe(before);
    expect(eu.requests.slice(-4).map((r) => r.headers.authorization)).toEqual(
      Array(4).fill('Bearer sk-caller-own'),
    );
  });
});
