import { connect as netConnect } from 'node:net';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { keysCreate } from '../../src/cli/keys.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { REALTIME_USAGE, TRANSCRIPTION_USAGE, WORDS } from './fake-provider.js';
import { type Harness, refusedHandshake, startHarness, startHarnessWithConfig } from './helpers.js';

// The Realtime API over a WebSocket (https://platform.openai.com/docs/guides/realtime-websocket): a session on one
// socket to /v1/realtime?model=…, each response (asked for with response.create, or made by the server's voice
// detection) reported by a response.done with its usage. The official openai client's OpenAIRealtimeWS is the client.

const PROVIDER_KEY = 'sk-provider-secret-0123456789';

type ServerEvent = { type: string; [k: string]: unknown };

let h: Harness;
/** Virtual keys made before any socket opens: the server looks for new keys at most once a second. */
let voiceKey: string;
let cappedKey: string;
let standbyKey: string;

beforeAll(async () => {
  h = await startHarnessWithConfig(
    [
      'upstreams:',
      // Nothing listens on port 1: the connection is refused.
      '  gone: { type: openai, base_url: "http://127.0.0.1:1/v1", models: ["gone-*"], key_env: OPENAI_API_KEY }',
      'models:',
      '  aliases: { voice: gpt-realtime }',
      '  fallbacks: { gone-realtime: [gpt-realtime-1.5] }',
      'budgets:',
      // Not even one response's output bound fits.
      '  mini-cap: { scope: { model: gpt-realtime-mini }, period: monthly, limit_usd: 0.000001, action: block }',
      '',
    ].join('\n'),
    { OPENAI_API_KEY: PROVIDER_KEY },
  );
  voiceKey = await keysCreate({ db: h.ledger, team: 'voice', user: 'ana' }, () => {});
  cappedKey = await keysCreate({ db: h.ledger, team: 'capped' }, () => {});
  standbyKey = await keysCreate({ db: h.ledger, team: 'standby' }, () => {});
});
afterAll(() => h.close());

/** The gateway's address for WebSockets. */
const socketBase = () => h.server.url.replace('http:', 'ws:');

/** The official client's Realtime socket to the gateway, open, with every event it receives. */
async function connect(
  apiKey: string,
  model: string,
): Promise<{ rt: OpenAIRealtimeWS; events: ServerEvent[] }> {
  const client = new OpenAI({ apiKey, baseURL: `${h.server.url}/v1` });
  // The client always dials wss:; the gateway here serves plain HTTP on loopback, so its TLS is left out, as
  // docs/gateway.md shows.
  const rt = new OpenAIRealtimeWS({ model, options: { createConnection: netConnect } }, client);
  const events: ServerEvent[] = [];
  rt.on('event', (e) => events.push(e as unknown as ServerEvent));
  // Error events are asserted on from `events`.
  rt.on('error', () => {});
  await new Promise((resolve, reject) => {
    rt.socket.once('open', resolve);
    rt.socket.once('error', reject);
  });
  return { rt, events };
}

/** Waits until `events` holds `n` events of this type. */
async function seen(events: ServerEvent[], type: string, n = 1): Promise<ServerEvent[]> {
  for (let i = 0; i < 250 && events.filter((e) => e.type === type).length < n; i++)
    await new Promise((r) => setTimeout(r, 20));
  const found = events.filter((e) => e.type === type);
  expect(found.length).toBe(n);
  return found;
}

/** The recorded events of this team, once there are `n`. */
async function recorded(team: string, n = 1): Promise<UsageEvent[]> {
  for (let i = 0; i < 100; i++) {
    const found = (await h.all()).filter((e) => e.team === team);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} events of team ${team} in the ledger`);
}

describe('the Realtime API over a WebSocket through the gateway (official openai client)', () => {
  it('meters every response of the session from its response.done: text, audio and cached tokens, priced exactly', async () => {
    const { rt, events } = await connect(voiceKey, 'voice');
    expect((await seen(events, 'session.created'))[0]!.session).toMatchObject({ model: 'gpt-realtime' });
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'Be brief.',
        audio: { input: { transcription: { model: 'gpt-4o-transcribe' } } },
      },
    });
    rt.send({ type: 'response.create' });
    await seen(events, 'response.done');
    // A response the server makes itself when the user stops speaking (voice detection): metered the same.
    rt.send({ type: 'input_audio_buffer.append', audio: 'AAAA' });
    rt.send({ type: 'input_audio_buffer.commit' });
    const done = await seen(events, 'response.done', 2);
    // Every event reached the client as the upstream sent it.
    const words = events
      .filter((e) => e.type === 'response.output_audio_transcript.delta')
      .map((e) => e.delta);
    expect(words).toEqual([...WORDS, ...WORDS]);
    rt.close();

    const all = await recorded('voice', 3);
    const calls = all.filter((e) => e.model_requested === 'gpt-realtime');
    const u = REALTIME_USAGE;
    const cached = u.input_token_details.cached_tokens;
    for (const e of calls)
      expect(e).toMatchObject({
        operation: 'realtime',
        status: 'ok',
        error_type: null,
        cost_source: 'computed',
        user: 'ana',
        model_requested: 'gpt-realtime',
        input_tokens: u.input_tokens - cached,
        cache_read_tokens: cached,
        input_audio_tokens:
          u.input_token_details.audio_tokens - u.input_token_details.cached_tokens_details.audio_tokens,
        output_tokens: u.output_tokens,
        output_audio_tokens: u.output_token_details.audio_tokens,
      });
    expect(calls.map((e) => e.source_ref).sort()).toEqual(
      done.map((e) => (e.response as { id: string }).id).sort(),
    );
    // gpt-realtime per 1M tokens: text input 4, audio input 32, cache read 0.40, text output 16, audio output 64.
    // 200 × 4 + 300 × 32 + 1000 × 0.4 + 100 × 16 + 300 × 64 = 31,600 µUSD: 0.0316 USD, in pico-dollars.
    expect(calls.map((e) => e.cost_usd)).toEqual([31_600_000_000n, 31_600_000_000n]);
    expect(calls[0]!.ttft_ms).not.toBeNull();
    // The transcription of the committed audio, billed by the transcription model the session named.
    const [transcription] = all.filter((e) => e.model_requested === 'gpt-4o-transcribe');
    expect(transcription).toMatchObject({
      operation: 'realtime',
      status: 'ok',
      input_tokens: 60,
      output_tokens: 12,
    });
    expect(transcription!.input_audio_tokens).toBe(TRANSCRIPTION_USAGE.input_token_details.audio_tokens);
    // gpt-4o-transcribe per 1M tokens: text input 2.50, audio input 6, output 10: 10 × 2.5 + 50 × 6 + 12 × 10 = 445 µUSD.
    expect(transcription!.cost_usd).toBe(445_000_000n);

    // The upstream got the provider key, the model the alias names, and the client's events as sent.
    const upstream = h.fake.sockets.at(-1)!;
    expect(upstream.url).toBe('/v1/realtime?model=gpt-realtime');
    expect(upstream.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(upstream.messages.map((m) => m.type)).toEqual([
      'session.update',
      'response.create',
      'input_audio_buffer.append',
      'input_audio_buffer.commit',
    ]);
  });

  it('opens the session on the fallback when the upstream of its model cannot be reached', async () => {
    const { rt, events } = await connect(standbyKey, 'gone-realtime');
    expect((await seen(events, 'session.created'))[0]!.session).toMatchObject({
      model: 'gpt-realtime-1.5',
    });
    rt.send({ type: 'response.create' });
    await seen(events, 'response.done');
    rt.close();
    expect(h.fake.sockets.at(-1)!.url).toBe('/v1/realtime?model=gpt-realtime-1.5');
    const [e] = await recorded('standby');
    expect(e).toMatchObject({ model_requested: 'gpt-realtime-1.5', status: 'ok' });
    expect(e!.cost_usd).not.toBeNull();
  });

  // gpt-4o-mini-transcribe per 1M tokens: text input 1.25, audio input 3, output 5: 10 × 1.25 + 50 × 3 + 12 × 5.
  // whisper-1 reports the 2 seconds of audio it heard, no tokens, and is billed by them: 2,000 ms × $0.36 an hour.
  for (const [model, expected] of [
    [
      'gpt-4o-mini-transcribe',
      { cost_source: 'computed', cost_usd: 222_500_000n, output_tokens: 12, audio_ms: 0 },
    ],
    ['whisper-1', { cost_source: 'computed', cost_usd: 200_000_000n, output_tokens: 0, audio_ms: 2_000 }],
  ] as const)
    it(`meters a transcription session (?intent=transcription, no model) by the model it names: ${model}`, async () => {
      const ws = new WebSocket(`${socketBase()}/v1/realtime?intent=transcription`, {
        headers: { authorization: 'Bearer sk-caller' },
      });
      const events: ServerEvent[] = [];
      ws.on('message', (m) => events.push(JSON.parse(String(m)) as ServerEvent));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const session = { type: 'transcription', audio: { input: { transcription: { model } } } };
      ws.send(JSON.stringify({ type: 'session.update', session }));
      await seen(events, 'session.updated');
      ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: 'AAAA' }));
      ws.send(JSON.stringify({ type: 'input_audio_buffer.commit' }));
      await seen(events, 'conversation.item.input_audio_transcription.completed');
      ws.close();
      // The upstream was asked for the same session: no model named.
      expect(h.fake.sockets.at(-1)!.url).toBe('/v1/realtime?intent=transcription');
      const [e] = (await h.all()).filter((x) => x.model_requested === model);
      expect(e).toMatchObject({ operation: 'realtime', status: 'ok', error_type: null, ...expected });
    });

  it('cancels a response its budget refuses, tells the client why, and records what it used', async () => {
    const { rt, events } = await connect(cappedKey, 'gpt-realtime-mini');
    rt.send({ type: 'response.create' });
    const [refused] = await seen(events, 'error');
    expect(refused!.error).toMatchObject({ code: 'GW_BUDGET_EXCEEDED', budget: { id: 'mini-cap' } });
    const [done] = await seen(events, 'response.done');
    expect(done!.response).toMatchObject({ status: 'cancelled' });
    expect(h.fake.sockets.at(-1)!.messages.map((m) => m.type)).toEqual([
      'response.create',
      'response.cancel',
    ]);
    rt.close();
    const [e] = await recorded('capped');
    expect(e).toMatchObject({ status: 'aborted', error_type: 'client_cancelled', output_tokens: 40 });
  });

  it('cancels the responses of a client that leaves, and records what they used', async () => {
    const { rt, events } = await connect('sk-caller', 'gpt-realtime');
    rt.send({ type: 'response.create' });
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'response.output_audio.delta'); i++)
      await new Promise((r) => setTimeout(r, 10));
    rt.close();
    let e: UsageEvent | undefined;
    for (let i = 0; i < 100 && e === undefined; i++) {
      e = (await h.all()).find((x) => x.model_requested === 'gpt-realtime' && x.team === null);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(e).toMatchObject({ status: 'aborted', error_type: 'client_cancelled', output_tokens: 40 });
    expect(h.fake.sockets.at(-1)!.messages.map((m) => m.type)).toEqual([
      'response.create',
      'response.cancel',
    ]);
  });

  it("closes the client's socket with the code the upstream closed its own with; an open response is recorded broken", async () => {
    const { rt, events } = await connect('sk-caller', 'gpt-realtime-2025-08-28');
    const closed = new Promise<[number, string]>((r) =>
      rt.socket.once('close', (code: number, reason: Buffer) => r([code, reason.toString()])),
    );
    rt.send({ type: 'response.create' });
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'response.output_audio.delta'); i++)
      await new Promise((r) => setTimeout(r, 10));
    // As OpenAI's socket ends at a session's time limit.
    h.fake.closeSockets(4000, 'session limit reached');
    expect(await closed).toEqual([4000, 'session limit reached']);
    const [broken] = events.filter((e) => e.type === 'error');
    expect(broken!.error).toMatchObject({ code: 'GW_UPSTREAM_UNREACHABLE' });
    const [e] = (await h.all()).filter((x) => x.model_requested === 'gpt-realtime-2025-08-28');
    // A Realtime response reports its usage only at its end: none is known.
    expect(e).toMatchObject({ status: 'error', error_type: 'upstream_stream_broken', output_tokens: 0 });
  });

  it('records the responses still running when the server stops, and closes the socket with 1001', async () => {
    const h2 = await startHarness({});
    try {
      const client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h2.server.url}/v1` });
      const rt = new OpenAIRealtimeWS(
        { model: 'gpt-realtime', options: { createConnection: netConnect } },
        client,
      );
      rt.on('error', () => {});
      const events: ServerEvent[] = [];
      rt.on('event', (e) => events.push(e as unknown as ServerEvent));
      const closed = new Promise<number>((r) => rt.socket.once('close', (code: number) => r(code)));
      await new Promise((resolve) => rt.socket.once('open', resolve));
      rt.send({ type: 'response.create' });
      for (let i = 0; i < 100 && !events.some((e) => e.type === 'response.output_audio.delta'); i++)
        await new Promise((r) => setTimeout(r, 5));
      await h2.server.close();
      expect(await closed).toBe(1001);
      // The ledger the server left: the response it cut short is in it, as left.
      const store = await createDuckDbStore(h2.ledger);
      const [e] = await store.events({ limit: 10 });
      await store.close();
      expect(e).toMatchObject({
        operation: 'realtime',
        model_requested: 'gpt-realtime',
        status: 'aborted',
        error_type: 'client_disconnected',
      });
    } finally {
      await h2.close();
    }
  });

  it("answers the handshake with the upstream's refusal, status and body, as without the gateway", async () => {
    // The fake refuses this key as OpenAI does: 401 before any upgrade.
    const refused = await refusedHandshake(`${socketBase()}/v1/realtime?model=gpt-realtime`, {
      authorization: 'Bearer sk-refused',
    });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('refuses a handshake without a model, or with an unknown virtual key, in HTTP with a JSON error', async () => {
    const noModel = await refusedHandshake(`${socketBase()}/v1/realtime`, {
      authorization: 'Bearer sk-caller',
    });
    expect(noModel.status).toBe(400);
    expect(JSON.parse(noModel.body).error.message).toContain('?model=');
    const unknown = await refusedHandshake(`${socketBase()}/v1/realtime?model=gpt-realtime`, {
      authorization: 'Bearer tlk_unknown0000000000000000000000',
    });
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body).error).toMatchObject({ code: 'GW_KEY_INVALID' });
  });
});
