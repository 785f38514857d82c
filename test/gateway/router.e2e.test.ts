import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeSavingsCommand } from '../../src/cli/route-savings.js';
import { formatUsd, parseUsd } from '../../src/money/money.js';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { trainedRouter } from '../helpers/trained-router.js';
import { OPENAI_USAGE } from './fake-provider.js';
import { type Harness, startHarness } from './helpers.js';

// Routers trained as `tokenledger route train` trains them, on prompts whose words say which model can answer them:
// proofs need the large model, questions do not. `auto` routes between gpt-4o-mini and gpt-4o, `claude-auto` between
// claude-haiku-4-5 and claude-sonnet-4-5. Saved beside the config, which names them by relative paths.
let h: Harness;
let client: OpenAI;
let claude: Anthropic;
let dir: string;

const USD = 1_000_000_000_000n;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-router-'));
  await writeFile(
    join(dir, 'router.json'),
    trainedRouter(
      ['gpt-4o-mini', (USD * 15n) / 100n, (USD * 6n) / 10n],
      ['gpt-4o', (USD * 5n) / 2n, USD * 10n],
    ),
  );
  await writeFile(
    join(dir, 'claude-router.json'),
    trainedRouter(['claude-haiku-4-5', USD, USD * 5n], ['claude-sonnet-4-5', USD * 3n, USD * 15n]),
  );
  await writeFile(
    join(dir, 'tokenledger.config.yaml'),
    'routers:\n  auto: router.json\n  claude-auto: claude-router.json\n',
  );
  h = await startHarness({}, join(dir, 'tokenledger.config.yaml'));
  client = new OpenAI({ apiKey: 'sk-caller-own-key', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
  claude = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

const sentModel = () => JSON.parse(h.fake.requests.at(-1)!.body).model as string;

describe('a call to a router by its name (`routers:` in the config)', () => {
  it('goes to the model the router picks for its prompt, recorded with the router as route_id', async () => {
    const proof = await client.chat.completions
      .create({
        model: 'auto',
        messages: [{ role: 'user', content: 'write a rigorous proof about law number 12' }],
      })
      .withResponse();
    expect(sentModel()).toBe('gpt-4o');
    const question = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'a short question on music 12' }] })
      .withResponse();
    expect(sentModel()).toBe('gpt-4o-mini');

    const proofEvent = await h.event(proof.response.headers.get('x-tokenledger-event-id')!);
    expect(proofEvent).toMatchObject({ route_id: 'auto', model_requested: 'gpt-4o', status: 'ok' });
    expect(proofEvent.model).toMatch(/^gpt-4o(-\d{4}-\d{2}-\d{2})?$/);
    const questionEvent = await h.event(question.response.headers.get('x-tokenledger-event-id')!);
    expect(questionEvent).toMatchObject({ route_id: 'auto', model_requested: 'gpt-4o-mini' });
    // Priced as the model that answered, exactly as a direct call to it is.
    expect(questionEvent.cost_source).toBe('computed');
    expect(questionEvent.output_tokens).toBe(OPENAI_USAGE.completion);
  });

  it('routes a streamed call the same way, and leaves a call naming a model itself alone', async () => {
    const stream = await client.chat.completions.create({
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'write a rigorous proof about poetry number 3' }],
    });
    for await (const _ of stream);
    expect(sentModel()).toBe('gpt-4o');
    const direct = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'write a rigorous proof about law' }],
      })
      .withResponse();
    expect(sentModel()).toBe('gpt-4o-mini');
    expect(await h.event(direct.response.headers.get('x-tokenledger-event-id')!)).toMatchObject({
      route_id: null,
    });
    expect((await h.all()).filter((e) => e.route_id === 'auto')).toHaveLength(3);
    // /metrics counts the routed calls by router and the model picked.
    const metrics = await (await fetch(`${h.server.url}/metrics`)).text();
    expect(metrics).toContain('tokenledger_gateway_routed_requests_total{router="auto",model="gpt-4o"} 2\n');
    expect(metrics).toContain(
      'tokenledger_gateway_routed_requests_total{router="auto",model="gpt-4o-mini"} 1\n',
    );
    // What `tokenledger report --by route_id,model` shows: the routed calls, model by model.
    const report = await h.server.store.query({ dimensions: ['route_id', 'model_requested'] });
    const rows = report.rows.map((r) => [r.dims.route_id, r.dims.model_requested, r.requests]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['auto', 'gpt-4o', 2],
        ['auto', 'gpt-4o-mini', 1],
        [null, 'gpt-4o-mini', 1],
      ]),
    );
  });
});

describe('a router for the Anthropic Messages API', () => {
  it('routes a streamed message by its system prompt and messages, recorded with route_id', async () => {
    const stream = claude.messages.stream({
      model: 'claude-auto',
      max_tokens: 64,
      system: 'You are a careful mathematician.',
      messages: [{ role: 'user', content: 'write a rigorous proof about chemistry number 8' }],
    });
    const message = await stream.finalMessage();
    expect(sentModel()).toBe('claude-sonnet-4-5');
    const quick = await claude.messages
      .create({
        model: 'claude-auto',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'a short question on law 8' }],
      })
      .withResponse();
    expect(sentModel()).toBe('claude-haiku-4-5');
    const e = await h.event(quick.response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({
      route_id: 'claude-auto',
      model_requested: 'claude-haiku-4-5',
      provider: 'anthropic',
    });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const routed = (await h.all()).filter((x) => x.route_id === 'claude-auto');
    expect(routed.map((x) => x.model_requested).sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5']);
  });
});

describe('tokenledger route savings, on the calls routed above', () => {
  const pico = (usdPerMillion: number, tokens: number) => BigInt(usdPerMillion * 1_000_000) * BigInt(tokens);
  /** A call of OPENAI_USAGE at gpt-4o's list prices: $2.50 input, $1.25 cached input, $10 output per 1M tokens. */
  const onGpt4o =
    pico(2.5, OPENAI_USAGE.prompt - OPENAI_USAGE.cached) +
    pico(1.25, OPENAI_USAGE.cached) +
    pico(10, OPENAI_USAGE.completion);
  const savings = async (o: { versus?: string; config?: string }) => {
    let text = '';
    await routeSavingsCommand(
      { db: h.ledger, config: join(dir, 'tokenledger.config.yaml'), format: 'json', ...o },
      (s) => (text += s),
    );
    return (JSON.parse(text) as { routers: Record<string, unknown>[] }).routers;
  };

  it("prices each router's calls as its strongest model too, with the same tokens, and says what that saved", async () => {
    const routed = (await h.all()).filter((e) => e.route_id === 'auto');
    const mini = routed.filter((e) => e.model_requested === 'gpt-4o-mini');
    const large = routed.filter((e) => e.model_requested === 'gpt-4o');
    expect([mini.length, large.length]).toEqual([1, 2]);
    const cost = (es: typeof routed) => es.reduce((sum, e) => sum + e.cost_usd!, 0n);
    const usd = (p: bigint) => formatUsd(p);
    // Through the running server (it holds the ledger), as the CLI reads a served ledger.
    const [auto, claudeAuto] = await savings({});
    expect(auto).toEqual({
      router: 'auto',
      versus: 'gpt-4o',
      versus_inferred: false,
      calls: 3,
      cost_usd: usd(cost(routed)),
      versus_cost_usd: usd(3n * onGpt4o),
      saved_usd: usd(3n * onGpt4o - cost(routed)),
      unpriced: 0,
      models: [
        {
          model: large[0]!.model,
          calls: 2,
          cost_usd: usd(cost(large)),
          versus_cost_usd: usd(2n * onGpt4o),
          saved_usd: usd(2n * onGpt4o - cost(large)),
        },
        {
          model: mini[0]!.model,
          calls: 1,
          cost_usd: usd(cost(mini)),
          versus_cost_usd: usd(onGpt4o),
          saved_usd: usd(onGpt4o - cost(mini)),
        },
      ],
    });
    expect(cost(large)).toBe(2n * onGpt4o); // the calls gpt-4o answered saved nothing
    expect(onGpt4o - cost(mini)).toBeGreaterThan(0n);
    expect(claudeAuto).toMatchObject({
      router: 'claude-auto',
      versus: 'claude-sonnet-4-5',
      calls: 2,
      unpriced: 0,
    });
    expect(BigInt(parseUsd(claudeAuto!.saved_usd as string))).toBeGreaterThan(0n);
  });

  it('gives the same through the HTTP API, GET /api/routing/savings, and refuses a model it cannot price', async () => {
    const { admin_token } = JSON.parse(await readFile(h.ledger.replace(/\.duckdb$/, '.server.json'), 'utf8'));
    const get = (query: string) =>
      fetch(`${h.server.url}/api/routing/savings?since=30d&${query}`, {
        headers: { authorization: `Bearer ${admin_token}` },
      });
    const answer = await get('');
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { routers: unknown }).routers).toEqual(await savings({}));
    const mini = (await (await get('versus=gpt-4o-mini')).json()) as { routers: unknown };
    expect(mini.routers).toEqual(await savings({ versus: 'gpt-4o-mini' }));
    const unknown = await get('versus=no-such-model');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      error: { code: 'API_BAD_PARAM', message: expect.stringMatching(/versus/) },
    });
  });

  it('without the config that names its routers, compares each with the priciest model it chose, and says so', async () => {
    // A config with no routers: the ledger's routed calls are all it has to go by.
    await writeFile(join(dir, 'no-routers.yaml'), 'models:\n  aliases: {}\n');
    const named = await savings({});
    const inferred = await savings({ config: join(dir, 'no-routers.yaml') });
    // gpt-4o ($2.50 + $10 per 1M) over gpt-4o-mini; claude-sonnet-4-5 ($3 + $15) over claude-haiku-4-5 ($1 + $5):
    // the strongest models of both router files, so the sums are the same.
    expect(inferred).toEqual(named.map((r) => ({ ...r, versus_inferred: true })));
    let table = '';
    await routeSavingsCommand({ db: h.ledger, config: join(dir, 'no-routers.yaml') }, (s) => (table += s));
    expect(table).toMatch(/\nauto +3 +\$0\.0137 +gpt-4o \* +\$0\.0200 +\$0\.0063 +31\.3%\n/);
    expect(table).toMatch(
      /\n\* no router file names the model compared with: the priciest model the router chose\b/,
    );
  });

  it('compares with the model --versus names instead: routing to gpt-4o cost more than gpt-4o-mini would have', async () => {
    const [auto] = await savings({ versus: 'gpt-4o-mini' });
    expect(auto).toMatchObject({ router: 'auto', versus: 'gpt-4o-mini', calls: 3 });
    expect(parseUsd(auto!.saved_usd as string)).toBeLessThan(0n);
    let table = '';
    await routeSavingsCommand(
      { db: h.ledger, config: join(dir, 'tokenledger.config.yaml') },
      (s) => (table += s),
    );
    expect(table).toMatch(
      /^router +answered by +calls +cost +compared with +would have cost +saved +saved %/,
    );
    // To 1/100 of a cent: $0.02001 would have cost, of which $0.006270 saved.
    expect(table).toMatch(/\nauto +3 +\$0\.0137 +gpt-4o +\$0\.0200 +\$0\.0063 +31\.3%\n +gpt-4o +2 /);
  });
});

describe('a router file that cannot be used', () => {
  it('stops the server at start-up with ROUTER_BAD_FILE naming the file and the field', async () => {
    await writeFile(join(dir, 'broken.json'), '{"format": "tokenledger-router", "version": 2}');
    await writeFile(join(dir, 'bad.yaml'), 'routers:\n  auto: broken.json\n  other: missing.json\n');
    const start = () =>
      startServer({
        ledgerPath: join(dir, 'unused.duckdb'),
        configPath: join(dir, 'bad.yaml'),
        port: 0,
        cwd: dir,
        env: {},
        openStore: (p) => createDuckDbStore(p),
        log: () => {},
      });
    await expect(start()).rejects.toMatchObject({
      code: 'ROUTER_BAD_FILE',
      message: expect.stringMatching(/broken\.json: version: /),
    });
    await writeFile(join(dir, 'bad.yaml'), 'routers:\n  other: missing.json\n');
    await expect(start()).rejects.toMatchObject({
      code: 'ROUTER_BAD_FILE',
      message: expect.stringMatching(/^routers\.other: cannot read .*missing\.json/),
    });
  });
});
