import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate } from '../../src/cli/keys.js';
import { type Harness, startHarness } from '../gateway/helpers.js';

let h: Harness;

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
      'budgets:',
      // One gpt-4o call with max_tokens 1000 (~$0.01003 worst case) fits; it and a gpt-4o-mini one (~$0.0006) do not.
      '  team-cap: { scope: { team: fb }, period: monthly, limit_usd: 0.0102, action: block }',
      '',
    ].join('\n'),
  );
  h = await startHarness({ OPENAI_API_KEY: 'sk-provider' }, config);
});
afterAll(() => h.close());

describe('a fallback under a budget both models share', () => {
  it("is admitted when the budget holds its own worst case: the first model's reservation is given back first", async () => {
    // A virtual key: the gateway exchanges it for each upstream's provider key, so a fallback may change upstream.
    const key = await keysCreate({ db: h.ledger, team: 'fb' }, () => {});
    const client = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
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
