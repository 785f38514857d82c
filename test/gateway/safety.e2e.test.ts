import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysCreate, keysRevoke } from '../../src/cli/keys.js';
import { keyFilePath } from '../../src/gateway/keys/key-file.js';
import { startServer } from '../../src/server/serve.js';
import { serverFilePath } from '../../src/server/server-file.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { startFakeProvider } from './fake-provider.js';
import { type Harness, startHarness } from './helpers.js';

interface ErrorJson {
  error: { code: string; message: string };
}

const PROVIDER_KEY = 'sk-provider-secret-0123456789';
let h: Harness;

beforeAll(async () => {
  const config = join(tmpdir(), `tl-gw-config-${process.pid}.yaml`);
  await writeFile(
    config,
    [
      'upstreams:',
      // Nothing listens on port 1: the connection is refused.
      '  gone: { type: openai, base_url: "http://127.0.0.1:1/v1", models: ["gone-*"] }',
      'models:',
      '  fallbacks:',
      '    gpt-4o-e429: [gpt-4o-e500, gpt-4o]',
      '    gone-4o: [gpt-4o]',
      '    gpt-4o-mini-e500: [gpt-4.1, gpt-4.1-mini]',
      '    gpt-4.1-mini-e500: [gpt-4.1]',
      'budgets:',
      // Not even one gpt-4.1 call fits.
      '  gpt41-cap: { scope: { model: gpt-4.1 }, period: monthly, limit_usd: 0.000001, action: block }',
      'server:',
      '  body_limit_mb: 0.01',
      '',
    ].join('\n'),
  );
  h = await startHarness({ OPENAI_API_KEY: PROVIDER_KEY }, config);
});
afterAll(() => h.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('virtual keys and attribution', () => {
  it('a virtual key carries its attribution and uses the provider key from the environment', async () => {
    const lines: string[] = [];
    const key = await keysCreate({ db: h.ledger, team: 'search', user: 'ana', project: 'ranker' }, (s) =>
      lines.push(s),
    );
    expect(lines.join('').trimEnd().split('\n').at(-1)).toBe(key);
    expect((await stat(keyFilePath(h.ledger))).mode & 0o777).toBe(0o600);
    const client = new OpenAI({ apiKey: key, baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create(
        { model: 'gpt-4o', messages: [], metadata: { feature: 'autocomplete' } },
        { headers: { 'x-tokenledger-agent': 'bot-7', 'x-tokenledger-tags': 'env=prod,app=web' } },
      )
      .withResponse();
    expect(h.fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({ team: 'search', user: 'ana', project: 'ranker', agent: 'bot-7' });
    expect(e.api_key_id).toMatch(/^vk_/);
    expect(e.tags).toEqual({ env: 'prod', app: 'web', feature: 'autocomplete' });
    // The key file holds only hashes.
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(keyFilePath(h.ledger), 'utf8')).not.toContain(key);

    // The model list an app asks for at start-up goes upstream with the provider key too.
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    expect(h.fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);

    const conflict = await post('/v1/chat/completions', '{"model":"gpt-4o","messages":[]}', {
      authorization: `Bearer ${key}`,
      'x-tokenledger-team': 'ads',
    });
    expect(conflict.status).toBe(403);
    expect(((await conflict.json()) as ErrorJson).error.code).toBe('GW_ATTRIBUTION_CONFLICT');

    const id = e.api_key_id!;
    await keysRevoke({ db: h.ledger, id }, () => {});
    await new Promise((r) => setTimeout(r, 1100));
    const revoked = await post('/v1/chat/completions', '{"model":"gpt-4o","messages":[]}', {
      authorization: `Bearer ${key}`,
    });
    expect(revoked.status).toBe(401);
    const text = await revoked.text();
    expect(JSON.parse(text).error.code).toBe('GW_KEY_INVALID');
    expect(text).not.toContain(PROVIDER_KEY);
  });
  it("a caller's tags cannot set the tags pricing reads, and so cannot change what a call costs", async () => {
    const client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
    const call = (metadata?: Record<string, string>) =>
      client.chat.completions
        .create({
          model: 'gpt-5.4',
          messages: [{ role: 'user', content: 'hi' }],
          ...(metadata && { metadata }),
        })
        .withResponse();
    const plain = (await call()).response.headers.get('x-tokenledger-cost-usd');
    // OpenAI's metadata is the app's own: a key named like a pricing tag is not a tag; the others still are.
    const { response } = await call({ long_context: 'true', inference_geo: 'us', feature: 'search' });
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe(plain);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e.tags).toEqual({ feature: 'search' });
    // At most OpenAI's own 16 pairs (keys up to 64 characters) become tags, whatever an upstream lets through.
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`]));
    const crowded = await call({ ['x'.repeat(65)]: 'long key', ...many });
    const tags = (await h.event(crowded.response.headers.get('x-tokenledger-event-id')!)).tags;
    expect(tags).toEqual(Object.fromEntries(Object.entries(many).slice(0, 16)));
    // The gateway's own header says what it means: a tag named so is refused, naming it.
    const r = await post('/v1/chat/completions', '{"model":"gpt-5.4","messages":[]}', {
      authorization: 'Bearer sk-caller',
      'x-tokenledger-tags': 'app=web,long_context=false',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as ErrorJson).error).toMatchObject({
      code: 'GW_BAD_ATTRIBUTION',
      message: expect.stringContaining(
        'x-tokenledger-tags: "long_context" is a tag tokenledger sets from the call itself',
      ),
    });
  });
});

describe('safety', () => {
  it('413 JSON when the body is over the limit', async () => {
    const r = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] }),
    );
    expect(r.status).toBe(413);
    expect(((await r.json()) as ErrorJson).error.code).toBe('GW_BODY_TOO_LARGE');
  });

  it('400 when an attribution header comes twice with different values (not a team called "a, b")', async () => {
    // fetch would send the two values as one line; node:http sends an array as repeated header lines.
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const [status, text] = await new Promise<[number, string]>((resolve, reject) => {
      const req = request(
        `${h.server.url}/v1/chat/completions`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tokenledger-team': ['payments', 'search'] },
        },
        (res) => {
          let t = '';
          res.on('data', (c: Buffer) => (t += c));
          res.on('end', () => resolve([res.statusCode!, t]));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(400);
    expect((JSON.parse(text) as ErrorJson).error).toMatchObject({
      code: 'GW_BAD_ATTRIBUTION',
      message: 'x-tokenledger-team: sent 2 times with different values ("payments", "search"); send it once',
    });
  });

  it('400 naming where the JSON broke', async () => {
    const r = await post('/v1/chat/completions', '{\n  "model": "gpt-4o",\n  "messages": [}\n');
    expect(r.status).toBe(400);
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe('GW_BAD_JSON');
    expect(body.error.message).toContain('line 3, column 16');
  });

  it('404 JSON for unknown routes, 405 for the wrong method', async () => {
    const r = await fetch(`${h.server.url}/v1/models/../../etc/passwd`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as ErrorJson).error.code).toBe('GW_NOT_FOUND');
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const wrong = await fetch(`${h.server.url}/v1/embeddings`, { method });
      expect(wrong.status).toBe(405);
      // RFC 9110 §15.5.6: a 405 must say which methods the route takes.
      expect(wrong.headers.get('allow')).toBe('POST');
    }
    // GET /v1/chat/completions lists stored completions (forwarded); the route takes both.
    const head = await fetch(`${h.server.url}/v1/chat/completions`, { method: 'HEAD' });
    expect([head.status, head.headers.get('allow')]).toEqual([405, 'GET, POST']);
  });

  it('a model cannot name an upstream URL', async () => {
    const r = await post('/v1/chat/completions', '{"model":"http://169.254.169.254/latest","messages":[]}');
    // Unknown prefixes are model names sent to the default upstream, never hosts.
    expect(h.fake.requests.at(-1)!.body).toContain('169.254.169.254');
    expect(r.status).toBe(200);
  });

  it('admin routes need the admin token from the server file', async () => {
    expect((await fetch(`${h.server.url}/api/keys`)).status).toBe(401);
    const { readFile } = await import('node:fs/promises');
    const info = JSON.parse(await readFile(serverFilePath(h.ledger), 'utf8'));
    expect((await stat(serverFilePath(h.ledger))).mode & 0o777).toBe(0o600);
    const r = await fetch(`${h.server.url}/api/keys`, {
      headers: { authorization: `Bearer ${info.admin_token}` },
    });
    expect(r.status).toBe(200);
    const keys = (await r.json()) as Record<string, unknown>[];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys[0]!.hash).toBeUndefined();
  });

  it("a browser's dashboard session cookie is never sent upstream; the caller's other cookies are", async () => {
    const login = await fetch(h.server.loginLink(), { redirect: 'manual' });
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    const call = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    // A page that calls the gateway with credentials: 'include' sends every cookie the browser holds for its host.
    expect(
      (await post('/v1/chat/completions', call, { cookie: `app=1; ${session}; theme=dark` })).status,
    ).toBe(200);
    expect(h.fake.requests.at(-1)!.headers.cookie).toBe('app=1; theme=dark');
    expect((await post('/v1/chat/completions', call, { cookie: session })).status).toBe(200);
    expect(h.fake.requests.at(-1)!.headers.cookie).toBeUndefined();
    // The same for a call the gateway forwards without metering it.
    expect((await fetch(`${h.server.url}/v1/models`, { headers: { cookie: session } })).status).toBe(200);
    expect(h.fake.requests.at(-1)!.path).toBe('/v1/models');
    expect(h.fake.requests.at(-1)!.headers.cookie).toBeUndefined();
  });
});

describe('fallbacks and metrics', () => {
  it('falls back on 429 and 5xx to the next model', async () => {
    const r = await post('/v1/chat/completions', '{"model":"gpt-4o-e429","messages":[]}', {
      authorization: 'Bearer sk-x',
    });
    expect(r.status).toBe(200);
    const models = h.fake.requests.slice(-3).map((q) => JSON.parse(q.body).model);
    expect(models).toEqual(['gpt-4o-e429', 'gpt-4o-e500', 'gpt-4o']);
    const e = await h.event(r.headers.get('x-tokenledger-event-id')!);
    expect(e.model).toBe('gpt-4o');
  });

  it('records each attempt a fallback replaced as the error the provider answered, costed nothing', async () => {
    const r = await post('/v1/chat/completions', '{"model":"gpt-4o-e429","messages":[]}', {
      authorization: 'Bearer sk-x',
      'x-tokenledger-team': 'fallbacks',
    });
    expect(r.status).toBe(200);
    const answered = await h.event(r.headers.get('x-tokenledger-event-id')!);
    const events = (await h.all()).filter((e) => e.team === 'fallbacks');
    const refused = events.filter((e) => e.event_id !== answered.event_id);
    // The provider saw three requests: the ledger has them all, the two it refused with its own error types.
    expect(events).toHaveLength(3);
    expect(
      refused
        .map((e) => [e.model_requested, e.status, e.error_type, e.cost_usd, e.input_tokens, e.output_tokens])
        .sort(),
    ).toEqual([
      ['gpt-4o-e429', 'error', 'requests', 0n, 0, 0],
      ['gpt-4o-e500', 'error', 'server_error', 0n, 0, 0],
    ]);
    expect(answered).toMatchObject({ model: 'gpt-4o', status: 'ok', team: 'fallbacks' });
    expect(answered.cost_usd).toBeGreaterThan(0n);

    // An upstream that could not be reached is an attempt too, as it is when no fallback follows. (No key of the
    // caller's own: one would not be handed to another upstream.)
    const next = await post('/v1/chat/completions', '{"model":"gone-4o","messages":[]}', {
      'x-tokenledger-team': 'fallbacks-gone',
    });
    expect(next.status).toBe(200);
    const gone = (await h.all()).filter((e) => e.team === 'fallbacks-gone');
    expect(
      gone.map((e) => [e.provider, e.model_requested, e.status, e.error_type, e.cost_usd]).sort(),
    ).toEqual([
      ['gone', 'gone-4o', 'error', 'upstream_unreachable', 0n],
      ['openai', 'gpt-4o', 'ok', null, answered.cost_usd],
    ]);
  });

  it("a fallback is held to its own model's budgets: one that is full is skipped, and refused when it is the last", async () => {
    const direct = await post('/v1/chat/completions', '{"model":"gpt-4.1","messages":[]}', {
      authorization: 'Bearer sk-x',
    });
    expect(direct.status).toBe(429);
    const r = await post('/v1/chat/completions', '{"model":"gpt-4o-mini-e500","messages":[]}', {
      authorization: 'Bearer sk-x',
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(h.fake.requests.at(-1)!.body).model).toBe('gpt-4.1-mini');
    expect((await h.event(r.headers.get('x-tokenledger-event-id')!)).model).toBe('gpt-4.1-mini');
    expect(h.fake.requests.map((q) => JSON.parse(q.body || '{}').model)).not.toContain('gpt-4.1');

    // Nothing left to fall back to: the client is told of the budget, as a direct call is.
    const last = await post('/v1/chat/completions', '{"model":"gpt-4.1-mini-e500","messages":[]}', {
      authorization: 'Bearer sk-x',
    });
    expect(last.status).toBe(429);
    expect(await last.json()).toMatchObject({
      error: { code: 'GW_BUDGET_EXCEEDED', budget: { id: 'gpt41-cap' } },
    });
    expect(h.fake.requests.map((q) => JSON.parse(q.body || '{}').model)).not.toContain('gpt-4.1');
  });

  it('/metrics and /healthz', async () => {
    const text = await (await fetch(`${h.server.url}/metrics`)).text();
    expect(text).toMatch(
      /tokenledger_gateway_requests_total\{provider="openai",model="gpt-4o",team="search",status="ok"\} 1/,
    );
    expect(text).toMatch(/tokenledger_gateway_tokens_total\{[^}]*kind="cache_read"\} \d+/);
    expect(text).toMatch(/tokenledger_gateway_cost_usd_total\{[^}]*\} 0\.\d{12}/);
    expect(text).toMatch(/tokenledger_gateway_errors_total\{code="GW_BODY_TOO_LARGE"\} 1/);
    expect(text).toMatch(/tokenledger_gateway_upstream_latency_seconds_count\{upstream="openai"\} \d+/);
    expect(text).toMatch(/tokenledger_wal_depth \d+/);
    expect(text).not.toContain(PROVIDER_KEY);
    // Every metric the server exposes is described in docs/gateway.md.
    const doc = await readFile('docs/gateway.md', 'utf8');
    const names = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
    expect(names.size).toBeGreaterThan(8);
    expect([...names].filter((n) => !doc.includes(n))).toEqual([]);
    expect(await (await fetch(`${h.server.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
  });
});

describe('start-up', () => {
  it('warns of a provider key that is not set only where virtual keys are in use, never printing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-gw-warn-'));
    const ledger = join(dir, 'ledger.duckdb');
    const warnings = async (env: NodeJS.ProcessEnv) => {
      const lines: string[] = [];
      const s = await startServer({
        ledgerPath: ledger,
        configPath: null,
        port: 0,
        cwd: dir,
        env,
        openStore: (p) => createDuckDbStore(p),
        log: (l) => lines.push(l),
      });
      await s.close();
      return lines.filter((l) => l.startsWith('warning:'));
    };
    try {
      // Local use: callers send their own provider keys, so none needs setting.
      expect(await warnings({})).toEqual([]);
      await keysCreate({ db: ledger, team: 'search' }, () => {});
      expect(await warnings({ OPENAI_API_KEY: PROVIDER_KEY })).toEqual([
        'warning: ANTHROPIC_API_KEY is not set: calls with a virtual key cannot reach upstream anthropic',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a caller's own provider key", () => {
  it('is never handed by a fallback to another upstream; a virtual key is exchanged for each upstream', async () => {
    const main = await startFakeProvider();
    const backup = await startFakeProvider();
    const dir = await mkdtemp(join(tmpdir(), 'tl-gw-ownkey-'));
    const config = join(dir, 'tokenledger.config.yaml');
    await writeFile(
      config,
      [
        'upstreams:',
        `  backup: { type: openai, base_url: "${backup.url}/v1", key_env: BACKUP_KEY }`,
        'models:',
        '  fallbacks: { gpt-4o-e429: [backup/gpt-4o, gpt-4o-mini], gpt-4o-e500: [backup/gpt-4o] }',
        'budgets:',
        '  full: { scope: { model: gpt-4.1 }, period: daily, limit_usd: 0.000001, action: downgrade, downgrade_to: backup/gpt-4.1-mini }',
        '',
      ].join('\n'),
    );
    const ledger = join(dir, 'ledger.duckdb');
    const s = await startServer({
      ledgerPath: ledger,
      configPath: config,
      port: 0,
      upstream: [`openai=${main.url}/v1`],
      cwd: dir,
      env: { OPENAI_API_KEY: PROVIDER_KEY, BACKUP_KEY: 'sk-backup-provider' },
      openStore: (p) => createDuckDbStore(p),
      log: () => {},
    });
    const ask = (model: string, authorization?: string) =>
      fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
    try {
      // The caller's OpenAI key: the fallback on the backup upstream is skipped for the next one on its own upstream.
      expect((await ask('gpt-4o-e429', 'Bearer sk-caller-openai')).status).toBe(200);
      expect(main.requests.map((r) => JSON.parse(r.body).model)).toEqual(['gpt-4o-e429', 'gpt-4o-mini']);
      // With none left, the client gets its upstream's own answer, as without fallbacks.
      expect((await ask('gpt-4o-e500', 'Bearer sk-caller-openai')).status).toBe(500);
      // A downgrade to the other upstream is refused, saying why, rather than sent there with the caller's key.
      const downgraded = await ask('gpt-4.1', 'Bearer sk-caller-openai');
      expect(downgraded.status).toBe(401);
      expect(((await downgraded.json()) as ErrorJson).error).toMatchObject({
        code: 'GW_KEY_REQUIRED',
        message: expect.stringContaining(
          'a provider key of your own is only sent to the upstream your request names',
        ),
      });
      expect(backup.requests).toEqual([]);
      // No key of its own to hand over: the fallback goes ahead.
      expect((await ask('gpt-4o-e500')).status).toBe(200);
      expect(backup.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
      // A virtual key is exchanged for the backup's own provider key.
      const key = await keysCreate({ db: ledger, team: 'search' }, () => {});
      await new Promise((r) => setTimeout(r, 1100));
      expect((await ask('gpt-4o-e500', `Bearer ${key}`)).status).toBe(200);
      expect(backup.requests.at(-1)!.headers.authorization).toBe('Bearer sk-backup-provider');
    } finally {
      await s.close();
      await main.close();
      await backup.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an upstream that requires a virtual key', () => {
  it('is never reached without one, not as a fallback nor as a downgrade', async () => {
    const fake = await startFakeProvider();
    const dir = await mkdtemp(join(tmpdir(), 'tl-gw-gated-'));
    const config = join(dir, 'tokenledger.config.yaml');
    await writeFile(
      config,
      [
        'upstreams:',
        `  gpu: { type: openai, base_url: "${fake.url}/v1", models: ["llama-*"], require_virtual_key: true }`,
        'models:',
        '  fallbacks: { gpt-4o-e429: [llama-3, gpt-4o-mini] }',
        'budgets:',
        '  tiny: { scope: { model: gpt-4o }, period: daily, limit_usd: 0.000001, action: downgrade, downgrade_to: llama-3 }',
        '',
      ].join('\n'),
    );
    const s = await startServer({
      ledgerPath: join(dir, 'ledger.duckdb'),
      configPath: config,
      port: 0,
      upstream: [`openai=${fake.url}/v1`],
      cwd: dir,
      env: {},
      openStore: (p) => createDuckDbStore(p),
      log: () => {},
    });
    const ask = (model: string) =>
      fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-caller-own' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
    try {
      expect((await ask('llama-3')).status).toBe(401);
      // The rate-limited model falls back past the gated upstream to the next one.
      expect((await ask('gpt-4o-e429')).status).toBe(200);
      // Over its budget, gpt-4o would be downgraded to the gated model: refused instead.
      const downgraded = await ask('gpt-4o');
      expect(downgraded.status).toBe(401);
      expect(((await downgraded.json()) as ErrorJson).error.code).toBe('GW_KEY_REQUIRED');
      expect(fake.requests.map((r) => JSON.parse(r.body).model)).toEqual(['gpt-4o-e429', 'gpt-4o-mini']);
    } finally {
      await s.close();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
