import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate, keysRevoke } from '../../src/cli/keys.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { listenLocal } from '../helpers/listen-local.js';
import { OPENAI_USAGE, WORDS } from './fake-provider.js';
import { type Harness, refusedHandshake, startHarnessWithConfig } from './helpers.js';

// The Responses API's WebSocket mode (https://developers.openai.com/api/docs/guides/websocket-mode): a socket to
// /v1/responses, each turn a `response.create` event answered with the events of a streamed response. The official
// openai client's ResponsesWS is the client here; the fake provider answers as OpenAI's socket does.

const PROVIDER_KEY = 'sk-provider-secret-0123456789';
const FINAL = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);

type ServerEvent = { type: string; stream_id?: string; [k: string]: unknown };

let h: Harness;
/** An upstream too busy for a WebSocket: it answers every handshake 503, with OpenAI's error body. */
let busy: { url: string; close: () => Promise<void> };
/** A virtual key: a caller's own provider key is never handed to an upstream its request did not name. */
let fallbackKey: string;
/** Revoked by a test while its socket is open. */
let revokedKey: string;

beforeAll(async () => {
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (_req, socket: Duplex) => {
    const body = JSON.stringify({
      error: { message: 'The server is overloaded.', type: 'server_error', param: null, code: null },
    });
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
  });
  busy = await listenLocal(server);
  h = await startHarnessWithConfig(
    [
      'upstreams:',
      // Nothing listens on port 1: the connection is refused.
      '  gone: { type: openai, base_url: "http://127.0.0.1:1/v1", models: ["gone-*"], key_env: OPENAI_API_KEY }',
      `  busy: { type: openai, base_url: "${busy.url}/v1", models: ["busy-*"], key_env: OPENAI_API_KEY }`,
      'models:',
      '  fallbacks:',
      '    gone-fb: [gpt-4.1-mini-2025-04-14]',
      '    busy-fb: [gpt-4o-mini-2024-07-18]',
      '    gone-capped: [gpt-4.1]',
      '    gpt-4o-e429: [gpt-4o-e500, gpt-4o-2024-08-06]',
      // A refusal of the create itself (a 400) is the client's to see, not a fallback's to take.
      '    gpt-4.1-nano: [o4-mini]',
      'budgets:',
      // Not even one gpt-4.1 call fits.
      '  gpt41-cap: { scope: { model: gpt-4.1 }, period: monthly, limit_usd: 0.000001, action: block }',
      'timeouts:',
      '  idle_ms: 500',
      '',
    ].join('\n'),
    { OPENAI_API_KEY: PROVIDER_KEY },
  );
  // Made before any socket opens: the server looks for new keys at most once a second.
  fallbackKey = await keysCreate({ db: h.ledger, team: 'fallbacks' }, () => {});
  revokedKey = await keysCreate({ db: h.ledger, team: 'ops' }, () => {});
});
afterAll(async () => {
  await h.close();
  await busy.close();
});

/** The gateway's address for WebSockets. */
const socketBase = () => h.server.url.replace('http:', 'ws:');

/** The official client's socket to the gateway, open, with every event it receives. */
async function connect(apiKey: string): Promise<{ ws: ResponsesWS; events: ServerEvent[] }> {
  const client = new OpenAI({ apiKey, baseURL: `${h.server.url}/v1` });
  const ws = new ResponsesWS(client);
  const events: ServerEvent[] = [];
  ws.on('event', (e) => events.push(e as unknown as ServerEvent));
  // Error events are asserted on from `events`; without a listener the client rejects a promise of its own.
  ws.on('error', () => {});
  await new Promise((resolve, reject) => {
    ws.socket.once('open', resolve);
    ws.socket.once('error', reject);
  });
  return { ws, events };
}

/** Waits until `events` holds `n` events that end a response (counting from the start of the connection). */
async function ended(events: ServerEvent[], n: number): Promise<ServerEvent[]> {
  for (let i = 0; i < 250 && events.filter((e) => FINAL.has(e.type)).length < n; i++)
    await new Promise((r) => setTimeout(r, 20));
  const last = events.filter((e) => FINAL.has(e.type));
  expect(last.length).toBe(n);
  return last;
}

/**
 * The recorded events of this model (and team, if given), once there are `n` (a call the client left is recorded
 * after it moved on).
 */
async function recorded(model: string, n = 1, team?: string): Promise<UsageEvent[]> {
  for (let i = 0; i < 100; i++) {
    const found = (await h.all()).filter(
      (e) => e.model_requested === model && (team === undefined || e.team === team),
    );
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} events of ${model} in the ledger`);
}

const create = (model: string, extra: Record<string, unknown> = {}) =>
  ({ type: 'response.create', model, input: 'Say hello', ...extra }) as Parameters<ResponsesWS['send']>[0];

describe('the Responses API WebSocket mode through the gateway (official openai client)', () => {
  it('meters each response.create as the same call over HTTP would be, on one upstream socket with the provider key', async () => {
    const key = await keysCreate({ db: h.ledger, team: 'search', user: 'ana' }, () => {});
    const { ws, events } = await connect(key);
    ws.send(create('gpt-4o'));
    const [first] = await ended(events, 1);
    expect(first!.type).toBe('response.completed');
    // A turn that goes on from the last, as an agent's next tool round does.
    ws.send(create('gpt-4o', { previous_source_ref: 'resp_fake1', input: 'And now?' }));
    await ended(events, 2);
    // Every event the upstream sent reached the client, in its order: the words of both answers.
    const words = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
    expect(words).toEqual([...WORDS, ...WORDS]);
    ws.close();

    const calls = await recorded('gpt-4o', 2);
    const u = OPENAI_USAGE;
    for (const e of calls)
      expect(e).toMatchObject({
        operation: 'responses',
        status: 'ok',
        error_type: null,
        cost_source: 'computed',
        team: 'search',
        user: 'ana',
        input_tokens: u.prompt - u.cached,
        cache_read_tokens: u.cached,
        output_tokens: u.completion,
        reasoning_tokens: u.reasoning,
        source_ref: 'resp_fake1',
      });
    expect(calls[0]!.api_key_id).toMatch(/^vk_/);
    expect(calls[0]!.ttft_ms).not.toBeNull();
    // The same call streamed over HTTP costs exactly as much.
    const client = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const { response } = await client.responses
      .create({ model: 'gpt-4o', input: 'Say hello', stream: true })
      .withResponse();
    const http = await h.recorded(response.headers.get('x-tokenledger-event-id')!);
    expect(http.cost_usd).not.toBeNull();
    expect(calls.map((e) => e.cost_usd)).toEqual([http.cost_usd, http.cost_usd]);

    // One upstream socket for both turns, the virtual key exchanged for the provider's, the creates sent as written.
    const upstream = h.fake.sockets.at(-1)!;
    expect(upstream.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(upstream.messages).toEqual([
      create('gpt-4o'),
      create('gpt-4o', { previous_source_ref: 'resp_fake1', input: 'And now?' }),
    ]);
  });

  it('gives each event to the create of its lane (stream_id), the lanes answered at once', async () => {
    const { ws, events } = await connect('sk-caller');
    // Lane a's answer is slow (30 ms an event); lane b's, sent after it, ends first.
    ws.send({ ...create('gpt-4o-slow'), stream_id: 'a' } as Parameters<ResponsesWS['send']>[0]);
    ws.send({ ...create('gpt-4.1-mini'), stream_id: 'b' } as Parameters<ResponsesWS['send']>[0]);
    const last = await ended(events, 2);
    expect(last.map((e) => e.stream_id)).toEqual(['b', 'a']);
    ws.close();
    // Each call holds the answer of its own create: the model the upstream says answered it, and all its usage.
    const calls = [...(await recorded('gpt-4.1-mini')), ...(await recorded('gpt-4o-slow'))];
    expect(calls.map((e) => [e.model_requested, e.model, e.status, e.output_tokens])).toEqual([
      ['gpt-4.1-mini', 'gpt-4.1-mini', 'ok', OPENAI_USAGE.completion],
      ['gpt-4o-slow', 'gpt-4o-slow', 'ok', OPENAI_USAGE.completion],
    ]);
  });

  it('refuses a create its budget does not allow in an error event on its lane; nothing goes upstream, the socket stays', async () => {
    const { ws, events } = await connect('sk-caller');
    const sockets = h.fake.sockets.length;
    ws.send({ ...create('gpt-4.1'), stream_id: 'x' } as Parameters<ResponsesWS['send']>[0]);
    const [refused] = await ended(events, 1);
    expect(refused).toMatchObject({
      type: 'error',
      status: 429,
      stream_id: 'x',
      error: { type: 'tokenledger_error', code: 'GW_BUDGET_EXCEEDED', budget: { id: 'gpt41-cap' } },
    });
    expect(h.fake.sockets.length).toBe(sockets);
    ws.send(create('gpt-4o-mini'));
    const [, next] = await ended(events, 2);
    expect(next!.type).toBe('response.completed');
    expect(h.fake.sockets.at(-1)!.messages.map((m) => m.model)).toEqual(['gpt-4o-mini']);
    ws.close();
  });

  it('records a response the client left as aborted, its output counted from the words it got', async () => {
    const { ws, events } = await connect('sk-caller');
    ws.send(create('gpt-4.1-nano-slow'));
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'response.output_text.delta'); i++)
      await new Promise((r) => setTimeout(r, 10));
    ws.close();
    const [e] = await recorded('gpt-4.1-nano-slow');
    expect(e).toMatchObject({ status: 'aborted', error_type: 'client_disconnected' });
    expect(e!.output_tokens).toBeGreaterThan(0);
    expect(e!.output_tokens).toBeLessThan(OPENAI_USAGE.completion);
  });

  it('ends a response whose upstream socket broke with an error event, recorded as broken, and closes the socket in turn', async () => {
    const { ws, events } = await connect('sk-caller');
    const closed = new Promise<number>((r) => ws.socket.once('close', (code: number) => r(code)));
    ws.send(create('gpt-4o-broken'));
    const [broken] = await ended(events, 1);
    expect(broken).toMatchObject({ type: 'error', status: 502, error: { code: 'GW_UPSTREAM_UNREACHABLE' } });
    // The upstream's connection ended without a close frame (1006), not a code to send: 1011.
    expect(await closed).toBe(1011);
    const [e] = await recorded('gpt-4o-broken');
    expect(e).toMatchObject({ status: 'error', error_type: 'upstream_stream_broken' });
    // Estimated: the input from the request's text, the output from the word it got.
    expect(e!.input_tokens).toBeGreaterThan(0);
    expect(e!.output_tokens).toBeGreaterThan(0);
  });

  it("closes the client's socket with the code the upstream closed its own with", async () => {
    const { ws, events } = await connect('sk-caller');
    const closed = new Promise<[number, string]>((r) =>
      ws.socket.once('close', (code: number, reason: Buffer) => r([code, reason.toString()])),
    );
    ws.send(create('gpt-4o-mini-2024-07-18'));
    await ended(events, 1);
    // As OpenAI's socket ends at its 60-minute limit.
    h.fake.closeSockets(4000, 'connection limit reached');
    expect(await closed).toEqual([4000, 'connection limit reached']);
  });

  it('gives up on an upstream that stops sending for timeouts.idle_ms', async () => {
    const { ws, events } = await connect('sk-caller');
    ws.send(create('gpt-4o-hang'));
    const [late] = await ended(events, 1);
    expect(late).toMatchObject({ type: 'error', status: 504, error: { code: 'GW_UPSTREAM_TIMEOUT' } });
    expect((late!.error as { message: string }).message).toContain('timeouts.idle_ms');
    const [e] = await recorded('gpt-4o-hang');
    expect(e).toMatchObject({ status: 'error', error_type: 'upstream_timeout' });
    expect(e!.input_tokens).toBeGreaterThan(0);
    ws.close();
  });

  it("passes on the upstream's refusal of a create, recorded as an error with no tokens", async () => {
    const { ws, events } = await connect('sk-caller');
    ws.send(create('gpt-4.1-nano', { previous_response_id: 'resp_unknown' }));
    const [refused] = await ended(events, 1);
    expect(refused).toMatchObject({ type: 'error', error: { code: 'previous_response_not_found' } });
    expect(h.fake.sockets.flatMap((s) => s.messages).filter((m) => m.model === 'o4-mini')).toEqual([]);
    const [e] = await recorded('gpt-4.1-nano');
    expect(e).toMatchObject({
      status: 'error',
      error_type: 'invalid_request_error',
      cost_source: 'computed',
      input_tokens: 0,
      output_tokens: 0,
    });
    ws.close();
  });

  it("passes on an upstream's HTTP refusal of its handshake as an error event on the create's lane", async () => {
    // The fake refuses this key as OpenAI does: 401 before any upgrade.
    const { ws, events } = await connect('sk-refused');
    ws.send({ ...create('gpt-4o-2024-11-20'), stream_id: 'r' } as Parameters<ResponsesWS['send']>[0]);
    const [refused] = await ended(events, 1);
    expect(refused).toMatchObject({
      type: 'error',
      status: 401,
      stream_id: 'r',
      error: { code: 'invalid_api_key' },
    });
    const [e] = await recorded('gpt-4o-2024-11-20');
    expect(e).toMatchObject({ status: 'error', error_type: 'invalid_request_error', input_tokens: 0 });
    ws.close();
  });

  it('ends a create whose upstream cannot be reached with an error event, recorded with no tokens', async () => {
    const { ws, events } = await connect('sk-caller');
    ws.send({ ...create('gone-4o'), stream_id: 'g' } as Parameters<ResponsesWS['send']>[0]);
    const [gone] = await ended(events, 1);
    expect(gone).toMatchObject({
      type: 'error',
      status: 502,
      stream_id: 'g',
      error: { code: 'GW_UPSTREAM_UNREACHABLE', message: expect.stringContaining('upstream gone') },
    });
    const [e] = await recorded('gone-4o');
    expect(e).toMatchObject({ status: 'error', error_type: 'upstream_unreachable', input_tokens: 0 });
    ws.close();
  });

  it('sends a create whose upstream cannot be reached to its fallback; the client sees only the answer', async () => {
    const { ws, events } = await connect(fallbackKey);
    ws.send({ ...create('gone-fb'), stream_id: 'f' } as Parameters<ResponsesWS['send']>[0]);
    const [answer] = await ended(events, 1);
    expect(answer).toMatchObject({ type: 'response.completed', stream_id: 'f' });
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    ws.close();
    // Two requests, as over HTTP: the attempt that got no answer, and the call, with all its usage.
    const [tried] = await recorded('gone-fb');
    const [call] = await recorded('gpt-4.1-mini-2025-04-14');
    expect(tried).toMatchObject({ status: 'error', error_type: 'upstream_unreachable', input_tokens: 0 });
    expect(call).toMatchObject({ status: 'ok', error_type: null, output_tokens: OPENAI_USAGE.completion });
    expect(call!.cost_usd).not.toBeNull();
    expect(tried!.event_id).not.toBe(call!.event_id);
  });

  it('sends the creates of an upstream that refuses the handshake with a 5xx to their fallback', async () => {
    const { ws, events } = await connect(fallbackKey);
    ws.send({ ...create('busy-fb'), stream_id: 'p' } as Parameters<ResponsesWS['send']>[0]);
    ws.send({ ...create('busy-fb'), stream_id: 'q' } as Parameters<ResponsesWS['send']>[0]);
    const answers = await ended(events, 2);
    // Lanes are answered at once: in either order.
    expect(answers.map((e) => `${e.type} ${e.stream_id}`).sort()).toEqual([
      'response.completed p',
      'response.completed q',
    ]);
    ws.close();
    expect(await recorded('busy-fb', 2)).toMatchObject([
      { status: 'error', error_type: 'server_error', input_tokens: 0 },
      { status: 'error', error_type: 'server_error', input_tokens: 0 },
    ]);
    expect(await recorded('gpt-4o-mini-2024-07-18', 2, 'fallbacks')).toMatchObject([
      { status: 'ok', output_tokens: OPENAI_USAGE.completion },
      { status: 'ok', output_tokens: OPENAI_USAGE.completion },
    ]);
  });

  it('tries the next fallback on an error event with status 429 or 5xx as a create’s first, each attempt recorded', async () => {
    const { ws, events } = await connect('sk-caller');
    ws.send(create('gpt-4o-e429'));
    const [answer] = await ended(events, 1);
    expect(answer!.type).toBe('response.completed');
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    // One upstream socket took the three creates, in order: the rate-limited, the failed, the answered.
    expect(h.fake.sockets.at(-1)!.messages.map((m) => m.model)).toEqual([
      'gpt-4o-e429',
      'gpt-4o-e500',
      'gpt-4o-2024-08-06',
    ]);
    ws.close();
    expect(await recorded('gpt-4o-e429')).toMatchObject([{ status: 'error', error_type: 'requests' }]);
    expect(await recorded('gpt-4o-e500')).toMatchObject([{ status: 'error', error_type: 'server_error' }]);
    expect(await recorded('gpt-4o-2024-08-06')).toMatchObject([
      { status: 'ok', output_tokens: OPENAI_USAGE.completion },
    ]);
  });

  it('holds a fallback to its own model’s budget: refused, the client gets the refusal on the create’s lane', async () => {
    const { ws, events } = await connect(fallbackKey);
    ws.send({ ...create('gone-capped'), stream_id: 'c' } as Parameters<ResponsesWS['send']>[0]);
    const [refused] = await ended(events, 1);
    expect(refused).toMatchObject({
      type: 'error',
      status: 429,
      stream_id: 'c',
      error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'gpt41-cap' } },
    });
    expect(await recorded('gone-capped')).toMatchObject([
      { status: 'error', error_type: 'upstream_unreachable' },
    ]);
    // Nothing of gpt-4.1 went upstream, on any socket.
    expect(h.fake.sockets.flatMap((s) => s.messages).filter((m) => m.model === 'gpt-4.1')).toEqual([]);
    ws.close();
  });

  it('answers a message that is not JSON with an error event and goes on', async () => {
    const { ws, events } = await connect('sk-caller');
    ws.socket.send('{"type": "response.create", ');
    const [bad] = await ended(events, 1);
    expect(bad).toMatchObject({ type: 'error', status: 400, error: { code: 'GW_BAD_JSON' } });
    ws.send(create('gpt-4o'));
    expect((await ended(events, 2))[1]!.type).toBe('response.completed');
    ws.close();
  });

  it('refuses a create for a model its key may not call in an error event on its lane; the socket stays', async () => {
    const limited = await keysCreate({ db: h.ledger, team: 'interns', models: 'gpt-4o-mini' }, () => {});
    // The server reads the key file again when it changes (about once a second).
    await new Promise((r) => setTimeout(r, 1100));
    const { ws, events } = await connect(limited);
    const sockets = h.fake.sockets.length;
    ws.send(create('gpt-4o'));
    const [refused] = await ended(events, 1);
    expect(refused).toMatchObject({ type: 'error', status: 403, error: { code: 'GW_MODEL_NOT_ALLOWED' } });
    expect(h.fake.sockets.length).toBe(sockets);
    ws.send(create('gpt-4o-mini'));
    const [, next] = await ended(events, 2);
    expect(next!.type).toBe('response.completed');
    ws.close();
  });

  it('stops a key revoked while its socket is open at the next create', async () => {
    const { ws, events } = await connect(revokedKey);
    ws.send(create('gpt-4o'));
    await ended(events, 1);
    const [made] = (await h.all()).filter((e) => e.team === 'ops');
    await keysRevoke({ db: h.ledger, id: made!.api_key_id! }, () => {});
    await new Promise((r) => setTimeout(r, 1100));
    ws.send(create('gpt-4o'));
    const [, revoked] = await ended(events, 2);
    expect(revoked).toMatchObject({ type: 'error', status: 401, error: { code: 'GW_KEY_INVALID' } });
    ws.close();
  });

  it('refuses the handshake of an unknown virtual key, and WebSockets to other routes, in HTTP with a JSON error', async () => {
    const unknown = await refusedHandshake(`${socketBase()}/v1/responses`, {
      authorization: 'Bearer tlk_unknown',
    });
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body).error.code).toBe('GW_KEY_INVALID');
    const chat = await refusedHandshake(`${socketBase()}/v1/chat/completions`, {
      authorization: 'Bearer sk-caller',
    });
    expect(chat.status).toBe(404);
    expect(JSON.parse(chat.body).error).toMatchObject({
      code: 'GW_NOT_FOUND',
      message: expect.stringContaining('WebSockets are /v1/responses (the Responses API'),
    });
  });
});
