import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate } from '../../src/cli/keys.js';
import { type Harness, startHarness } from '../gateway/helpers.js';

let h: Harness;
/** Virtual keys of teams fb, dg, dg2 and dg3: the gateway exchanges them for each upstream's provider key. */
const keys: Record<string, string> = {};

beforeAll(async () => {
  const config = join(tmpdir(), `tl-fallback-admission-${process.pid}.yaml`);
  await writeFile(
    config,
    [
      'upstreams:',
      // Nothing listens on port 1: every gpt-4o-mini call is refused a connection and falls back to gpt-4o.
      '  gone: { type: openai, base_url: "http://127.0.0.1:1/v1", models: ["gpt-4o-mini"], key_env: OPENAI_API_KEY }',
      'models:',
      '  fallbacks:',
      '    gpt-4o-mini: [openai/gpt-4o]',
      '  aliases:',
      '    cheap: gpt-4.1-mini',
      'budgets:',
      // One gpt-4o call with max_tokens 1000 (~$0.01003 worst case) fits; it and a gpt-4o-mini one (~$0.0006) do not.
      '  team-cap: { scope: { team: fb }, period: monthly, limit_usd: 0.0102, action: block }',
      // Team dg: gpt-4.1 is full and downgrades to an alias of gpt-4.1-mini, which is full too and blocks.
      '  dg-41: { scope: { team: dg, model: gpt-4.1 }, period: monthly, limit_usd: 0.000001, action: downgrade, downgrade_to: cheap }',
      '  dg-41-mini: { scope: { team: dg, model: gpt-4.1-mini }, period: monthly, limit_usd: 0.000001, action: block }',
      // Team dg2: full, it sends every call to the alias, which it only counts.
      '  dg2-team: { scope: { team: dg2 }, period: monthly, limit_usd: 0.000001, action: downgrade, downgrade_to: cheap }',
      // Team dg3: as dg, but downgrade_to names the model with the upstream that serves it (`UPSTREAM/model`).
      '  dg3-41: { scope: { team: dg3, model: gpt-4.1 }, period: monthly, limit_usd: 0.000001, action: downgrade, downgrade_to: openai/gpt-4.1-mini }',
      '  dg3-41-mini: { scope: { team: dg3, model: gpt-4.1-mini }, period: monthly, limit_usd: 0.000001, action: block }',
      '',
    ].join('\n'),
  );
  h = await startHarness({ OPENAI_API_KEY: 'sk-provider' }, config);
  for (const team of ['fb', 'dg', 'dg2', 'dg3'])
    keys[team] = await keysCreate({ db: h.ledger, team }, () => {});
});
afterAll(() => h.close());

describe('a fallback under a budget both models share', () => {
  it("is admitted when the budget holds its own worst case: the first model's reservation is given back first", async () => {
    // A virtual key: a fallback may change upstream.
    const client = new OpenAI({ apiKey: keys.fb, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.model).toMatch(/^gpt-4o/);
    expect(JSON.parse(h.fake.requests.at(-1)!.body).model).toBe('gpt-4o');
    const events = await h.all();
    expect(events.map((e) => [e.model_requested, e.status])).toEqual(
      expect.arrayContaining([
        ['gpt-4o-mini', 'error'],
        ['gpt-4o', 'ok'],
      ]),
    );
  });
});

describe('a downgrade to a model alias', () => {
  it('is held to the budgets of the model the alias names, as a direct call to the alias is', async () => {
    const client = new OpenAI({ apiKey: keys.dg, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const direct = await client.chat.completions
      .create({ model: 'cheap', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(direct, 'a direct call to the alias').toMatchObject({
      status: 429,
      error: { code: 'GW_BUDGET_EXCEEDED' },
    });
    const sent = h.fake.requests.length;
    const downgraded = await client.chat.completions
      .create({ model: 'gpt-4.1', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(downgraded, 'the downgraded call').toMatchObject({
      status: 429,
      error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'dg-41-mini' } },
    });
    expect(h.fake.requests.length).toBe(sent);
  });

  it('lets the model the alias names through the downgrade budget that sends calls to it', async () => {
    const client = new OpenAI({ apiKey: keys.dg2, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-tokenledger-downgraded')).toBe('gpt-4o -> gpt-4.1-mini; budget=dg2-team');
    expect(JSON.parse(h.fake.requests.at(-1)!.body).model).toBe('gpt-4.1-mini');
  });
});

describe('a downgrade to `UPSTREAM/model`', () => {
  it('is held to the budgets of the model it is sent as, as a direct call to that name is', async () => {
    const client = new OpenAI({ apiKey: keys.dg3, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const direct = await client.chat.completions
      .create({ model: 'openai/gpt-4.1-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(direct, 'a direct call').toMatchObject({
      status: 429,
      error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'dg3-41-mini' } },
    });
    const sent = h.fake.requests.length;
    const downgraded = await client.chat.completions
      .create({ model: 'gpt-4.1', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(downgraded, 'the downgraded call').toMatchObject({
      status: 429,
      error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'dg3-41-mini' } },
    });
    expect(h.fake.requests.length).toBe(sent);
  });
});
