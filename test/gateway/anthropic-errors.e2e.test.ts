import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarnessWithConfig } from './helpers.js';

// https://platform.claude.com/docs/en/api/errors — "Errors are always returned as JSON, with a top-level error object
// that always includes a type and message value": {"type":"error","error":{"type":"not_found_error","message":…}},
// the type named by the status (400 invalid_request_error, 401 authentication_error, 403 permission_error,
// 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 500 api_error).

type ApiError = InstanceType<typeof Anthropic.APIError>;

let h: Harness;
let client: Anthropic;
const MODEL = 'claude-sonnet-4-20250514';

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'upstreams:',
      // Nothing listens on port 1: the connection is refused.
      '  gone: { type: anthropic, base_url: "http://127.0.0.1:1", models: ["claude-gone-*"] }',
      'budgets:',
      // Not even one call of this model fits.
      '  opus-cap: { scope: { model: claude-opus-4-6 }, period: monthly, limit_usd: 0.000001, action: block }',
      // A haiku call of the fake is ~$0.002 of tokens; each search it runs $0.01.
      '  search-cap: { scope: { model: claude-haiku-4-5 }, period: monthly, limit_usd: 0.03, action: block }',
      'server:',
      '  body_limit_mb: 0.01',
      '',
    ].join('\n'),
  );
  client = new Anthropic({ apiKey: 'sk-ant-caller', baseURL: h.server.url, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

const ask = (model = MODEL, text = 'hi'): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: text }],
});

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(Anthropic.APIError);
  return e as ApiError;
}

describe("the gateway's own errors on Anthropic routes, as the Anthropic SDK reads them", () => {
  it('an unknown virtual key: 401 authentication_error, the stable code beside it', async () => {
    const withKey = new Anthropic({ apiKey: 'tlk_unknown', baseURL: h.server.url, maxRetries: 0 });
    const e = await refusal(withKey.messages.create(ask()));
    expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(e.type).toBe('authentication_error');
    expect(e.error).toEqual({
      type: 'error',
      error: { type: 'authentication_error', code: 'GW_KEY_INVALID', message: expect.any(String) },
    });
    expect(e.message).toContain('the virtual key is unknown or revoked');
    // count_tokens, proxied without being recorded, is answered the same way.
    const counted = await refusal(withKey.messages.countTokens({ model: MODEL, messages: ask().messages }));
    expect([counted.status, counted.type]).toEqual([401, 'authentication_error']);
  });

  it('a full block budget: 429 rate_limit_error, with the budget it names', async () => {
    const e = await refusal(client.messages.create(ask('claude-opus-4-6')));
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    expect(e.type).toBe('rate_limit_error');
    expect(e.error).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', code: 'GW_BUDGET_EXCEEDED', budget: { id: 'opus-cap' } },
    });
    expect(e.headers?.get('x-should-retry')).toBe('false');
  });

  it('a request over the body limit: 413 request_too_large', async () => {
    const e = await refusal(client.messages.create(ask(MODEL, 'x'.repeat(20_000))));
    expect([e.status, e.type, (e.error as { error: { code: string } }).error.code]).toEqual([
      413,
      'request_too_large',
      'GW_BODY_TOO_LARGE',
    ]);
  });

  it('an upstream that cannot be reached: 502 api_error, naming the event the ledger recorded for it', async () => {
    const e = await refusal(client.messages.create(ask('claude-gone-1')));
    expect(e).toBeInstanceOf(Anthropic.InternalServerError);
    expect([e.status, e.type, (e.error as { error: { code: string } }).error.code]).toEqual([
      502,
      'api_error',
      'GW_UPSTREAM_UNREACHABLE',
    ]);
    const id = e.headers?.get('x-tokenledger-event-id');
    expect(id).toBeTruthy();
    expect(await h.event(id!)).toMatchObject({
      model_requested: 'claude-gone-1',
      status: 'error',
      error_type: 'upstream_unreachable',
    });
  });

  it('a body that is not JSON: 400 invalid_request_error', async () => {
    const r = await fetch(`${h.server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: '{"model": "claude-sonnet-4-20250514",',
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', code: 'GW_BAD_JSON', message: expect.any(String) },
    });
  });

  it('a method the route does not take: 405 invalid_request_error', async () => {
    const r = await fetch(`${h.server.url}/v1/messages`, { headers: { 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(405);
    expect(await r.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', code: 'GW_METHOD_NOT_ALLOWED' },
    });
  });

  it("OpenAI routes keep OpenAI's shape", async () => {
    const openai = new OpenAI({ apiKey: 'tlk_unknown', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const e = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e).toMatchObject({ status: 401, type: 'tokenledger_error', code: 'GW_KEY_INVALID' });
  });
});

describe('budget admission of a call that may search the web (official @anthropic-ai/sdk client)', () => {
  const search = (max_uses: number) =>
    client.messages.create({
      ...ask('claude-haiku-4-5'),
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses }],
    });

  it("holds $10 per 1,000 of the searches the tool's max_uses allows, and counts those it ran", async () => {
    // 5 searches are $0.05: more than the $0.03 cap, before any spend.
    const e = await refusal(search(5));
    expect(e.error).toMatchObject({ error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'search-cap' } } });
    // 2 are $0.02: they fit, and the fake runs both.
    const { response } = await search(2).withResponse();
    const spent = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(spent.web_search_requests).toBe(2);
    // What is left of the cap after $0.02 of fees and the tokens is less than one more search and its tokens.
    expect(await refusal(search(1))).toBeInstanceOf(Anthropic.RateLimitError);
  });
});
