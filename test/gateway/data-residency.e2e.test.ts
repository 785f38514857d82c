import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/money/money.js';
import { loadPricer } from '../../src/pricing/load.js';
import { type Harness, startHarnessWithConfig } from './helpers.js';

// https://developers.openai.com/api/docs/guides/data-residency: "Data residency endpoints are charged a 10% uplift
// for models released on or after March 5, 2026". The fake provider stands where eu.api.openai.com would: the
// upstream says its region itself, as one behind a proxy must (a base URL on eu.api.openai.com says it alone).

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'upstreams:',
      '  openai: { type: openai, base_url: https://eu.api.openai.com/v1, inference_geo: eu }',
      'budgets:',
      // gpt-5.4 at $2.50 / $15 per 1M: max_tokens 1,000 and a short prompt are a worst case of ~$0.01505 at the
      // standard rates, ~$0.01656 at the EU endpoint's.
      '  capped: { scope: { team: capped }, period: monthly, limit_usd: 0.0155, action: block }',
      '',
    ].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const ask = { model: 'gpt-5.4', max_tokens: 1_000, messages: [{ role: 'user' as const, content: 'Hi.' }] };

describe('an upstream on an OpenAI data residency endpoint (official openai client)', () => {
  it('records its calls in that region, at 1.1x the standard rates of a model from GPT-5.4 on', async () => {
    const { data, response } = await client.chat.completions.create(ask).withResponse();
    expect(data.choices.length).toBeGreaterThan(0);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e.tags).toMatchObject({ inference_geo: 'eu' });
    const { inference_geo: _, ...standardTags } = e.tags;
    const pricer = await loadPricer({ cwd: h.dir, env: {} });
    const standard = pricer.price({ ...e, tags: standardTags, given_cost: null }).cost_usd!;
    expect(e.cost_usd).toBe((standard * 11n) / 10n);
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe(formatUsd(e.cost_usd!));
  });

  it("admits a call to a block budget only if its worst case at the region's rates fits", async () => {
    const e = await client.chat.completions
      .create(ask, { headers: { 'x-tokenledger-team': 'capped' } })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect((e as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'GW_BUDGET_EXCEEDED' });
  });
});
