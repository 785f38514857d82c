import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codexRequest } from './codex-request.js';
import { OPENAI_USAGE, WORDS } from './fake-provider.js';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;
const CODEX_ZSTD = readFileSync(
  join(import.meta.dirname, '../fixtures/gateway/codex-responses-request.json.zst'),
);

beforeAll(async () => {
  const config = join(tmpdir(), `tl-gw-edges-${process.pid}.yaml`);
  await writeFile(
    config,
    'timeouts: { first_byte_ms: 300, idle_ms: 300 }\nmodels: { aliases: { fast: gpt-4o } }\n',
  );
  h = await startHarness({}, config);
});
afterAll(() => h.close());

/** Sends raw bytes (what fetch and the SDKs will not send) and returns the whole answer once the server closes. */
function rawHttp(bytes: Buffer | string): Promise<string> {
  const { port } = new URL(h.server.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    const out: Buffer[] = [];
    s.on('data', (d: Buffer) => out.push(d));
    s.on('end', () => resolve(Buffer.concat(out).toString('utf8')));
    s.on('error', reject);
    s.write(bytes);
  });
}

function post(body: string, headers = ''): string {
  return `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headers}\r\n${body}`;
}

describe('HTTP details a real client sends', () => {
  it('Expect: 100-continue (curl, large bodies) is answered here and not sent upstream', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const answer = await rawHttp(post(body, 'Expect: 100-continue\r\n'));
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    const id = /x-tokenledger-event-id: (\w+)/.exec(answer)![1]!;
    const e = await h.event(id);
    expect(e).toMatchObject({ status: 'ok', output_tokens: OPENAI_USAGE.completion });
    expect(h.fake.requests.at(-1)!.headers.expect).toBeUndefined();
  });

  it('a header the client named in Connection is hop-by-hop (RFC 9110 §7.6.1): not sent upstream', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const answer = await rawHttp(
      post(body, 'X-Hop: for the gateway only\r\nX-End: for the provider\r\n').replace(
        'Connection: close',
        'Connection: close, X-Hop',
      ),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(h.fake.requests.at(-1)!.headers).toMatchObject({ 'x-end': 'for the provider' });
    expect(h.fake.requests.at(-1)!.headers['x-hop']).toBeUndefined();
  });
});

describe('a request body the client compressed', () => {
  const metered = {
    status: 'ok',
    input_tokens: OPENAI_USAGE.prompt - OPENAI_USAGE.cached,
    cache_read_tokens: OPENAI_USAGE.cached,
    output_tokens: OPENAI_USAGE.completion,
    reasoning_tokens: OPENAI_USAGE.reasoning,
  };
  const send = (path: string, encoding: string, body: Buffer, key = 'authorization') =>
    fetch(`${h.server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding, [key]: 'sk-x' },
      body,
    });

  it('a Codex CLI request in zstd is read, metered, and sent upstream decoded', async () => {
    const r = await send('/v1/responses', 'zstd', CODEX_ZSTD);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('event: response.completed');
    const upstream = h.fake.requests.at(-1)!;
    expect(upstream.path).toBe('/v1/responses');
    expect(upstream.body).toBe(codexRequest());
    expect(upstream.headers['content-encoding']).toBeUndefined();
    expect(await h.event(r.headers.get('x-tokenledger-event-id')!)).toMatchObject({
      ...metered,
      model_requested: 'gpt-5-codex',
    });
  });

  it('gzip, deflate and br: the same; an unmetered call (count_tokens) too', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['br', brotliCompressSync(body)],
    ] as const) {
      const r = await send('/v1/chat/completions', encoding, bytes);
      expect(r.status).toBe(200);
      expect(h.fake.requests.at(-1)!.body).toBe(body);
      expect(await h.event(r.headers.get('x-tokenledger-event-id')!)).toMatchObject(metered);
    }
    const count = JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    const r = await send('/v1/messages/count_tokens', 'gzip', gzipSync(count), 'x-api-key');
    expect(await r.json()).toEqual({ input_tokens: 2095 });
    expect(h.fake.requests.at(-1)!).toMatchObject({ path: '/v1/messages/count_tokens', body: count });
    expect(h.fake.requests.at(-1)!.headers['content-encoding']).toBeUndefined();
  });

  it('a coding the gateway does not decode is a 415 that names it; a broken body a 400; nothing is sent upstream', async () => {
    const sent = h.fake.requests.length;
    const body = gzipSync(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    const unknown = await send('/v1/chat/completions', 'compress', body);
    expect(unknown.status).toBe(415);
    expect(await unknown.json()).toMatchObject({
      error: {
        code: 'GW_UNSUPPORTED_ENCODING',
        message: expect.stringContaining('content-encoding "compress"'),
      },
    });
    const broken = await send('/v1/responses', 'zstd', CODEX_ZSTD.subarray(0, 4000));
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      error: { code: 'GW_BAD_ENCODING', message: expect.stringContaining('request body is not valid zstd') },
    });
    expect(h.fake.requests.length).toBe(sent);
  });
});

describe('the bytes of a request the gateway must change', () => {
  // A 64-bit seed (which JSON.parse rounds), an escape, a float as written and odd spacing must reach the upstream
  // as sent: only what metering or routing needs is rewritten.
  const rest =
    '"seed": 12345678901234567891, "temperature": 1.0,\n "messages": [{"role":"user","content":"caf\\u00e9 \\"x\\""}]';
  const send = (body: string) =>
    fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body,
    }).then((r) => r.text());

  it('stream_options.include_usage sent as false: only that value is turned on upstream', async () => {
    const text = await send(
      `{"model": "gpt-4o", ${rest}, "stream": true, "stream_options": {"include_usage": false}}`,
    );
    expect(h.fake.requests.at(-1)!.body).toBe(
      `{"model": "gpt-4o", ${rest}, "stream": true, "stream_options": {"include_usage":true}}`,
    );
    // The client asked for no usage and sees none.
    expect(text).not.toContain('"usage"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('an alias: only the model is renamed upstream', async () => {
    await send(`{"model": "fast", ${rest}}`);
    expect(h.fake.requests.at(-1)!.body).toBe(`{"model": "gpt-4o", ${rest}}`);
  });
});

describe('a deeply nested request body', () => {
  it('in a session: recorded, and the server keeps serving', async () => {
    const depth = 100_000;
    const call = (content: string) =>
      fetch(`${h.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk-x',
          'x-tokenledger-session': 'deep-1',
        },
        body: `{"model":"gpt-4o","messages":[{"role":"user","content":${content}}]}`,
      });
    const deep = await call(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(deep.status).toBe(200);
    // The runaway watch reads a session's request just after its response is sent.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await h.event(deep.headers.get('x-tokenledger-event-id')!)).toMatchObject({
      session_id: 'deep-1',
    });
    expect((await call('"hi"')).status).toBe(200);
  });
});

describe('a client that closes before sending its whole body', () => {
  it('is counted as GW_CLIENT_CLOSED, not logged as an internal error; nothing is recorded', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const before = (await h.all()).length;
    const { port } = new URL(h.server.url);
    const s = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => s.on('connect', () => r()));
    s.write(post(JSON.stringify({ model: 'gpt-4o', messages: [] })).slice(0, -10));
    await new Promise((r) => setTimeout(r, 50));
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const metrics = await (await fetch(`${h.server.url}/metrics`)).text();
    expect(metrics).toContain('code="GW_CLIENT_CLOSED"');
    expect(metrics).not.toContain('code="GW_INTERNAL"');
    expect(stderr.mock.calls.some(([line]) => String(line).includes('gateway: Error: aborted'))).toBe(false);
    stderr.mockRestore();
    expect((await h.all()).length).toBe(before);
  });
});

describe('an upstream that compresses although asked for identity', () => {
  const metered = {
    status: 'ok',
    error_type: null,
    input_tokens: OPENAI_USAGE.prompt - OPENAI_USAGE.cached,
    cache_read_tokens: OPENAI_USAGE.cached,
    output_tokens: OPENAI_USAGE.completion,
    reasoning_tokens: OPENAI_USAGE.reasoning,
  };
  const chat = (stream: object) =>
    fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-x',
        'accept-encoding': 'gzip, br',
      },
      body: JSON.stringify({ model: 'gpt-4o-gzip', messages: [{ role: 'user', content: 'hi' }], ...stream }),
    });

  it('JSON: usage is metered and the client gets the decoded body', async () => {
    const client = new OpenAI({ apiKey: 'sk-x', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-gzip', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe(WORDS.join(''));
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await h.event(response.headers.get('x-tokenledger-event-id')!)).toMatchObject(metered);
  });

  it('SSE, usage injected or asked for: usage is metered and the client gets valid events', async () => {
    for (const stream of [{ stream: true }, { stream: true, stream_options: { include_usage: true } }]) {
      const r = await chat(stream);
      expect(r.headers.get('content-encoding')).toBeNull();
      const text = await r.text();
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(text.includes('"usage":{')).toBe('stream_options' in stream);
      expect(await h.event(r.headers.get('x-tokenledger-event-id')!)).toMatchObject(metered);
    }
  });

  it('a background response retrieved compressed, polled or streamed: recorded once it shows it finished', async () => {
    const client = new OpenAI({ apiKey: 'sk-x', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const recorded = async (id: string) => (await h.all()).filter((e) => e.source_ref === id);
    const polled = await client.responses.create({ model: 'gpt-4o-gzip', input: 'hi', background: true });
    let seen: OpenAI.Responses.Response = polled;
    while (seen.status === 'queued' || seen.status === 'in_progress')
      seen = await client.responses.retrieve(polled.id);
    expect(seen.output_text).toBe(WORDS.join(''));
    expect(await recorded(polled.id)).toEqual([expect.objectContaining(metered)]);
    const streamed = await client.responses.create({ model: 'gpt-4o-gzip', input: 'hi', background: true });
    const final = await client.responses.stream({ response_id: streamed.id }).finalResponse();
    expect(final.status).toBe('completed');
    expect(await recorded(streamed.id)).toEqual([expect.objectContaining(metered)]);
  });
});

describe('an upstream that times out or fails in the middle of a JSON answer', () => {
  const call = (model: string) =>
    fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }] }),
    });

  it('sends no headers within timeouts.first_byte_ms: 504, recorded as the upstream timing out', async () => {
    const r = await call('gpt-4o-silent');
    expect(r.status).toBe(504);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('GW_UPSTREAM_TIMEOUT');
    expect((await h.all()).find((e) => e.model_requested === 'gpt-4o-silent')).toMatchObject({
      status: 'error',
      error_type: 'upstream_timeout',
    });
  });

  it('stalls past timeouts.idle_ms: 504 GW_UPSTREAM_TIMEOUT, recorded as the upstream timing out', async () => {
    const before = (await h.all()).length;
    const r = await call('gpt-4o-stall');
    expect(r.status).toBe(504);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('GW_UPSTREAM_TIMEOUT');
    const events = await h.all();
    expect(events.length).toBe(before + 1);
    expect(events.find((e) => e.model_requested === 'gpt-4o-stall')).toMatchObject({
      status: 'error',
      error_type: 'upstream_timeout',
    });
  });

  it('breaks off: 502 GW_UPSTREAM_UNREACHABLE, recorded as the upstream breaking, not the client leaving', async () => {
    const r = await call('gpt-4o-cut');
    expect(r.status).toBe(502);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('GW_UPSTREAM_UNREACHABLE');
    expect((await h.all()).find((e) => e.model_requested === 'gpt-4o-cut')).toMatchObject({
      status: 'error',
      error_type: 'upstream_body_broken',
    });
  });
});

describe('an unmetered answer the upstream breaks off, or the client leaves', () => {
  /** The /metrics line of an error code, or undefined. */
  const errorCount = async (code: string) =>
    (await (await fetch(`${h.server.url}/metrics`)).text())
      .split('\n')
      .find((l) => l.startsWith(`tokenledger_gateway_errors_total{code="${code}"}`));

  it("is the upstream's fault or nobody's, never an internal error: the client's connection is cut", async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const countTokens = (model: string, signal?: AbortSignal) =>
      fetch(`${h.server.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'sk-ant-x',
          'anthropic-version': '2023-06-01',
        },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
        ...(signal && { signal }),
      });
    // A stall past timeouts.idle_ms, and a cut: the headers were passed on, so the client's body breaks.
    for (const model of ['claude-sonnet-4-stall', 'claude-sonnet-4-cut']) {
      const r = await countTokens(model);
      expect(r.status).toBe(200);
      await expect(r.text()).rejects.toThrow();
    }
    // A client that leaves in the middle.
    const leaving = new AbortController();
    await countTokens('claude-sonnet-4-stall', leaving.signal);
    leaving.abort();
    await new Promise((r) => setTimeout(r, 400));
    expect(await errorCount('GW_UPSTREAM_TIMEOUT')).toBeDefined();
    expect(await errorCount('GW_UPSTREAM_UNREACHABLE')).toBeDefined();
    expect(await errorCount('GW_INTERNAL')).toBeUndefined();
    expect(stderr.mock.calls.some(([line]) => String(line).startsWith('gateway: '))).toBe(false);
    stderr.mockRestore();
  });
});

describe('an upstream that redirects', () => {
  it('is not followed: the client gets the 3xx as sent, the call is recorded as an error', async () => {
    const sent = h.fake.requests.length;
    const r = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: JSON.stringify({ model: 'gpt-4o-redirect', messages: [] }),
    });
    expect(r.status).toBe(307);
    expect(r.headers.get('location')).toBe('http://203.0.113.7/v1/chat/completions');
    expect(h.fake.requests.length).toBe(sent + 1);
    expect(await h.event(r.headers.get('x-tokenledger-event-id')!)).toMatchObject({
      status: 'error',
      error_type: 'http_307',
      input_tokens: 0,
      output_tokens: 0,
    });
  });
});
