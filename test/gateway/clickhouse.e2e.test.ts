import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsCommand } from '../../src/cli/alerts.js';
import { budgetsHistory } from '../../src/cli/budgets.js';
import { keysCreate, keysRevoke } from '../../src/cli/keys.js';
import { tokensCreate } from '../../src/cli/tokens.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { loadPricer } from '../../src/pricing/load.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { startChdbServer } from '../../src/store/clickhouse/testing/chdb-server.js';
import { ANTHROPIC_USAGE, type FakeProvider, OPENAI_USAGE, startFakeProvider } from './fake-provider.js';

// Two gateway instances on one ClickHouse database, as behind a load balancer (ARCHITECTURE.md, Processes): each
// meters its own calls through its own write-ahead log into the shared ledger, and either reads all of them.
let clickhouse: Awaited<ReturnType<typeof startChdbServer>>;
let fake: FakeProvider;
let dir: string;
const gateways: RunningServer[] = [];
let ledgerUrl: string;
const ADMIN = 'admin-of-both-instances';

beforeAll(async () => {
  clickhouse = await startChdbServer();
  fake = await startFakeProvider();
  dir = await mkdtemp(join(tmpdir(), 'tl-gw-clickhouse-'));
  ledgerUrl = `${clickhouse.url}/tokenledger`;
  for (const name of ['a', 'b'])
    gateways.push(
      await startServer({
        ledgerPath: join(dir, name, 'ledger'),
        configPath: null,
        port: 0,
        otlpPort: 0,
        upstream: [`openai=${fake.url}/v1`, `anthropic=${fake.url}`],
        ledgerUrl,
        cwd: join(dir, name),
        env: { OPENAI_API_KEY: 'sk-server', TOKENLEDGER_ADMIN_TOKEN: ADMIN },
        openStore: () => createClickHouseStore(ledgerUrl),
        log: () => {},
      }),
    );
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  await fake.close();
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the gateway on a ClickHouse ledger', () => {
  it("records two instances' calls, streamed or not, with the tokens the provider reported, priced exactly", async () => {
    const [a, b] = gateways as [RunningServer, RunningServer];
    const openai = new OpenAI({ apiKey: 'sk-own', baseURL: `${a.url}/v1`, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: 'sk-ant-own', baseURL: b.url, maxRetries: 0 });
    const ask = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
    const { response: whole } = await openai.chat.completions.create(ask).withResponse();
    const stream = await openai.chat.completions.create({ ...ask, stream: true });
    for await (const _ of stream) {
      // read to the end: the call is recorded as its stream ends
    }
    const { response: message } = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    await a.wal.drain();
    await b.wal.drain();

    // A third reader, as a dashboard instance or `tokenledger report --db URL` would be.
    const reader = await createClickHouseStore(ledgerUrl);
    const events = await reader.events({ limit: 100 });
    await reader.close();
    expect(events).toHaveLength(3);
    const byId = new Map(events.map((e) => [e.event_id, e]));
    const pricer = await loadPricer({ cwd: dir, env: {} });
    const priced = (e: UsageEvent) =>
      pricer.price(unpricedEvent({ provider: e.provider, model: e.model, ts: e.ts, ...usageOf(e) })).cost_usd;

    const chat = byId.get(whole.headers.get('x-tokenledger-event-id')!)!;
    expect(chat).toMatchObject({
      source: 'gateway',
      provider: 'openai',
      input_tokens: OPENAI_USAGE.prompt - OPENAI_USAGE.cached,
      cache_read_tokens: OPENAI_USAGE.cached,
      output_tokens: OPENAI_USAGE.completion,
      reasoning_tokens: OPENAI_USAGE.reasoning,
      cost_source: 'computed',
    });
    expect(chat.cost_usd).toBe(priced(chat));
    expect(whole.headers.get('x-tokenledger-cost-usd')).not.toBeNull();

    const streamed = events.find((e) => e.provider === 'openai' && e.event_id !== chat.event_id)!;
    expect(streamed).toMatchObject({ input_tokens: chat.input_tokens, output_tokens: chat.output_tokens });
    expect(streamed.cost_usd).toBe(chat.cost_usd);

    const claude = byId.get(message.headers.get('x-tokenledger-event-id')!)!;
    expect(claude).toMatchObject({
      provider: 'anthropic',
      input_tokens: ANTHROPIC_USAGE.input,
      cache_read_tokens: ANTHROPIC_USAGE.cache_read,
      cache_write_5m_tokens: ANTHROPIC_USAGE.cache_5m,
      cache_write_1h_tokens: ANTHROPIC_USAGE.cache_1h,
      output_tokens: ANTHROPIC_USAGE.output,
    });
    expect(claude.cost_usd).toBe(priced(claude));

    // Each instance's report reads the whole shared ledger, not only its own calls.
    for (const g of gateways) {
      const { totals } = await g.store.query({ dimensions: [] });
      expect(totals.events).toBe(3);
      expect(totals.cost_usd).toBe(chat.cost_usd! + streamed.cost_usd! + claude.cost_usd!);
    }
  });
});

describe("one set of keys, API tokens and budgets for every instance, in the ledger's database", () => {
  // Made as `tokenledger keys create --db URL` would make them on a machine running no instance: nothing of them is
  // on the instances' disks. Each instance checks for changes at most once a second.
  const cli = () => ({ db: ledgerUrl });
  const chat = (g: RunningServer, apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${g.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
      .then(
        ({ response }) => ({ status: response.status, id: response.headers.get('x-tokenledger-event-id') }),
        (e: { status?: number }) => ({ status: e.status ?? 0, id: null }),
      );
  const statuses = (apiKey: string) => Promise.all(gateways.map(async (g) => (await chat(g, apiKey)).status));

  it('a virtual key made on another machine meters calls on both instances; once revoked, neither takes it', async () => {
    const key = await keysCreate({ ...cli(), team: 'shared', user: 'ana' }, () => {});
    await expect.poll(() => statuses(key), { timeout: 5_000, interval: 200 }).toEqual([200, 200]);
    const made = await Promise.all(gateways.map((g) => chat(g, key)));
    for (const g of gateways) await g.wal.drain();
    const reader = await createClickHouseStore(ledgerUrl);
    const events = await reader.events({ filters: [{ dimension: 'team', values: ['shared'] }], limit: 100 });
    await reader.close();
    const keyId = events[0]?.api_key_id;
    expect(keyId).toMatch(/^vk_/);
    expect(events.map((e) => e.event_id)).toEqual(expect.arrayContaining(made.map((m) => m.id)));
    expect(events.every((e) => e.user === 'ana' && e.api_key_id === keyId)).toBe(true);

    await keysRevoke({ ...cli(), id: keyId! }, () => {});
    await expect.poll(() => statuses(key), { timeout: 5_000, interval: 200 }).toEqual([401, 401]);
  });

  it('an API token made on another machine signs in on both instances', async () => {
    const token = await tokensCreate({ ...cli(), role: 'viewer', team: 'shared' }, () => {});
    const me = (g: RunningServer) =>
      fetch(`${g.url}/api/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    await expect
      .poll(() => Promise.all(gateways.map(me)), { timeout: 5_000, interval: 200 })
      .toEqual([200, 200]);
  });

  it('a budget made through one instance is enforced by the other, and listed by both', async () => {
    const [a, b] = gateways as [RunningServer, RunningServer];
    const key = await keysCreate({ ...cli(), team: 'capped' }, () => {});
    await expect.poll(() => statuses(key), { timeout: 5_000, interval: 200 }).toEqual([200, 200]);
    // Less than any call's worst case: the next call of team capped is refused wherever it lands.
    const made = await fetch(`${a.url}/api/budgets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        scope: { team: 'capped' },
        period: 'daily',
        limit_usd: '0.000001',
        action: 'block',
      }),
    });
    expect(made.status).toBe(200);
    const { id } = (await made.json()) as { id: string };
    await expect.poll(async () => (await chat(b, key)).status, { timeout: 5_000, interval: 200 }).toBe(429);
    expect((await chat(a, key)).status).toBe(429);
    for (const g of gateways) {
      const listed = await fetch(`${g.url}/api/budgets`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const { budgets } = (await listed.json()) as { budgets: { budget: { id: string } }[] };
      expect(budgets.map((x) => x.budget.id)).toContain(id);
    }
    // Both refused a call of it, and each raised the alert: one alert, in the database, listed by both and by
    // `tokenledger alerts --db URL` on a third machine.
    const blocked = async (g: RunningServer) => {
      const r = await fetch(`${g.url}/api/alerts?kind=budget_blocked`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      return ((await r.json()) as { alerts: { budget_id: string }[] }).alerts.filter(
        (x) => x.budget_id === id,
      ).length;
    };
    await expect
      .poll(() => Promise.all(gateways.map(blocked)), { timeout: 5_000, interval: 200 })
      .toEqual([1, 1]);
    let listed = '';
    await alertsCommand({ ...cli(), kind: 'budget_blocked', format: 'json' }, (s) => (listed += s));
    expect(
      (JSON.parse(listed) as { alerts: { budget_id: string }[] }).alerts.filter((x) => x.budget_id === id),
    ).toHaveLength(1);
    // Its audit is in the database too: `budgets history --db URL` on a third machine shows who made it.
    const history: string[] = [];
    await budgetsHistory({ ...cli(), id }, (line) => history.push(line));
    expect(history).toEqual([
      expect.stringMatching(new RegExp(`^\\S+Z  api:server  create ${id}  after: team=capped`)),
    ]);
  });
});

function usageOf(e: UsageEvent) {
  const { input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens } = e;
  return {
    input_tokens,
    cache_read_tokens,
    cache_write_5m_tokens,
    cache_write_1h_tokens,
    output_tokens,
    reasoning_tokens: e.reasoning_tokens,
  };
}
