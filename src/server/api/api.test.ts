import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContent } from '../../ledger/call-content.js';
import { contentAuditPath } from '../../ledger/content-audit.js';
import { totalTokens, type UsageEvent } from '../../ledger/event.js';
import { formatUsd, parseDecimal } from '../../money/money.js';
import { loadBundledCatalog } from '../../pricing/bundled-catalog.js';
import { createPricer } from '../../pricing/pricer.js';
import { unpricedEvent } from '../../pricing/unpriced-event.js';
import { createDuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { FOCUS_COLUMNS } from '../../store/focus/dataset.js';
import type { Store } from '../../store/store.js';
import { CARDS, DAY, HOUR, makeEvent, T0 } from '../../store/testing/event-factory.js';
import { fileLedgerRecords } from '../ledger-records.js';
import { type Api, createApi } from './api.js';
import { toCsv } from './json.js';
import { newToken } from './token-file.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape the assertions check
type J = any;

const NOW = T0 + 3 * DAY;
const ADMIN = 'server-admin-token-for-tests';
let dir: string;
let store: Store;
let api: Api;
let server: Server;
let base: string;
let viewerWeb: string;
let viewerAll: string;
let revoked: string;
let adminTok: string;
let adminTokId: string;
let ledgerPath: string;
let events: UsageEvent[];

function build(): UsageEvent[] {
  const out: UsageEvent[] = [];
  for (let i = 0; i < 60; i++) {
    const team = i % 3 === 0 ? 'payments' : 'web';
    // Groups of four share one ts, so pagination must order ties by event_id.
    const ts = T0 + Math.floor(i / 4) * 3 * HOUR;
    out.push(
      makeEvent(i, {
        ts,
        team,
        user: `${team}-user-${i % 2}`,
        agent: i % 2 ? 'claude-code' : 'codex',
        session_id: `s${i % 5}`,
        model: i % 4 === 0 ? 'gpt-5' : 'claude-sonnet-4-5',
        rates: i % 4 === 0 ? CARDS.gpt : CARDS.sonnet,
        // One call searched the web: its fee is in cost_usd, beyond the parts.
        ...(i === 7 ? { web_search_requests: 3 } : {}),
      }),
    );
  }
  return out;
}

async function get(path: string, token: string | null = ADMIN, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    redirect: 'manual',
  });
  const text = await r.text();
  let body: J = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, body, headers: r.headers };
}

/** The stored text of a call; the request names the event so a mix-up shows. */
const called = (e: UsageEvent): CallContent => ({
  event_id: e.event_id,
  ts: e.ts,
  request: `{"model":"${e.model}","messages":[{"role":"user","content":"why ${e.event_id}? <b>x</b> ü"}]}`,
  completion: `because\n<script>alert(1)</script> ${e.team}`,
});

const sum = (es: UsageEvent[]) => es.reduce((s, e) => s + (e.cost_usd ?? 0n), 0n);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-api-'));
  ledgerPath = join(dir, 'ledger.duckdb');
  store = await createDuckDbStore(ledgerPath);
  events = build();
  await store.append(events);
  const now = new Date(NOW / 1000);
  const t1 = newToken('viewer', 'web', now);
  const t2 = newToken('viewer', null, now);
  const t3 = newToken('viewer', null, now);
  t3.record.revoked_at = now.toISOString();
  const t4 = newToken('admin', null, now);
  for (const t of [t1, t2, t3, t4]) await fileLedgerRecords(ledgerPath).tokens.put(t.record);
  viewerWeb = t1.token;
  viewerAll = t2.token;
  revoked = t3.token;
  adminTok = t4.token;
  adminTokId = t4.record.id;
  // Two calls' text, one of each team: what the gateway keeps for a key created with --store-content.
  await store.storeContent([called(events[3]!), called(events[4]!)]);
  const pricer = createPricer(await loadBundledCatalog(), null);
  api = createApi({
    store,
    ledgerPath,
    records: fileLedgerRecords(ledgerPath),
    adminToken: ADMIN,
    now: () => NOW,
    pricer,
  });
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!api.handle(req, res, path)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const RANGE = `since=${new Date(T0 / 1000).toISOString()}&until=${new Date(NOW / 1000).toISOString()}`;

/** The API over its own ledger of `events`, on a free port: for a describe that needs a ledger of its own. */
interface ServedApi {
  base: string;
  ledgerPath: string;
  events: UsageEvent[];
  close(): Promise<void>;
}

async function serveApi(prefix: string, events: UsageEvent[]): Promise<ServedApi> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const store = await createDuckDbStore(join(dir, 'ledger.duckdb'));
  await store.append(events);
  const api = createApi({
    store,
    ledgerPath: join(dir, 'ledger.duckdb'),
    records: fileLedgerRecords(join(dir, 'ledger.duckdb')),
    adminToken: ADMIN,
    now: () => NOW,
    pricer: createPricer(await loadBundledCatalog(), null),
  });
  const server = createServer((req, res) => {
    if (!api.handle(req, res, (req.url ?? '/').split('?')[0]!)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ledgerPath: join(dir, 'ledger.duckdb'),
    events,
    async close() {
      await new Promise((r) => server.close(r));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('share=unattributed', () => {
  it("splits the cost of calls with no team among the teams by their cost; a team viewer gets its own share of every team's", async () => {
    const served = await serveApi('tl-api-share-', [
      makeEvent(1, { team: 'web', ts: T0 + HOUR }),
      makeEvent(2, { team: 'web', ts: T0 + 2 * HOUR, output_tokens: 9000 }),
      makeEvent(3, { team: 'payments', ts: T0 + 3 * HOUR }),
      makeEvent(4, { team: null, ts: T0 + 4 * HOUR, output_tokens: 5000 }),
    ]);
    try {
      const t = newToken('viewer', 'web', new Date(NOW / 1000));
      await fileLedgerRecords(served.ledgerPath).tokens.put(t.record);
      const ask = async (q: string, token = ADMIN) => {
        const r = await fetch(`${served.base}/api/breakdown?${RANGE}&share=unattributed&dims=${q}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: r.status, body: (await r.json()) as J };
      };
      const cost = (team: string | null) =>
        served.events.filter((e) => e.team === team).reduce((n, e) => n + e.cost_usd!, 0n);
      const [web, payments, none] = [cost('web'), cost('payments'), cost(null)];
      const admin = await ask('team');
      const row = (team: string | null) => admin.body.rows.find((r: J) => r.team === team);
      const shared = (team: string | null) => parseDecimal(row(team).shared_usd, 12);
      // Each share is its proportion to the pico-dollar, and together they are the unattributed cost exactly.
      expect(shared('web') + shared('payments')).toBe(none);
      for (const [team, own] of [
        ['web', web],
        ['payments', payments],
      ] as const)
        expect(shared(team) * (web + payments) - none * own).toBeLessThan(web + payments);
      expect(shared(null)).toBe(-none);
      expect(parseDecimal(row('web').allocated_usd, 12)).toBe(web + shared('web'));

      const viewer = await ask('team', t.token);
      expect(viewer.body.rows.map((r: J) => [r.team, r.shared_usd])).toEqual([
        ['web', row('web').shared_usd],
      ]);
      expect(viewer.body.totals.cost_usd).toBe(formatUsd(web));
      const csv = await fetch(
        `${served.base}/api/breakdown?${RANGE}&dims=team&share=unattributed&format=csv`,
        {
          headers: { authorization: `Bearer ${ADMIN}` },
        },
      );
      expect((await csv.text()).split('\n')[0]).toContain(',shared_usd,allocated_usd,');

      for (const [q, token, says] of [
        ['team,model', ADMIN, /exactly one/],
        ['team&top=1', ADMIN, /not with top/],
        ['model', t.token, /ask with dims=team/],
      ] as const) {
        const r = await ask(q, token);
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(says);
      }
    } finally {
      await served.close();
    }
  });
});

describe('auth', () => {
  it('refuses requests without a valid token', async () => {
    expect((await get('/api/summary', null)).status).toBe(401);
    expect((await get('/api/summary', 'nope')).body.error.code).toBe('API_UNAUTHORIZED');
    expect((await get('/api/summary', revoked)).status).toBe(401);
    expect((await get('/api/me', viewerAll)).body).toMatchObject({ role: 'viewer', team: null });
  });

  it('takes the Bearer scheme in any case, as the gateway does (RFC 9110 §11.1)', async () => {
    for (const scheme of ['bearer', 'BEARER'])
      expect((await get('/api/me', null, { authorization: `${scheme} ${viewerAll}` })).body).toMatchObject({
        role: 'viewer',
      });
  });

  it('a login link works once and sets a session cookie', async () => {
    const link = api.loginLink(base);
    const first = await get(link.slice(base.length), null);
    expect(first.status).toBe(302);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^tl_session=/);
    expect((await get('/api/me', null, { cookie })).body).toMatchObject({ role: 'admin', team: null });
    expect((await get(link.slice(base.length), null)).status).toBe(401);
  });

  // Behind a TLS proxy (the only way this server is reached over https) a cookie without Secure would also be sent
  // over plain http to the same host, where anyone on the path reads the session.
  it('marks the session cookie Secure when the browser reached the server over https through a proxy', async () => {
    const attrs = (h: Headers) =>
      h
        .get('set-cookie')!
        .split(';')
        .slice(1)
        .map((a) => a.trim());
    const viaTls = { 'x-forwarded-proto': 'https' };
    const link = await get(api.loginLink(base).slice(base.length), null, viaTls);
    expect(attrs(link.headers)).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Secure']));
    const signIn = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...viaTls },
    });
    expect(attrs(signIn.headers)).toContain('Secure');
    const out = await fetch(`${base}/api/logout`, { method: 'POST', headers: viaTls });
    expect(attrs(out.headers)).toContain('Secure');
    // Plain http on the machine itself (npm start) keeps a cookie a browser stores there.
    const local = await get(api.loginLink(base).slice(base.length), null);
    expect(attrs(local.headers)).not.toContain('Secure');
  });

  it('a browser session signed in with a token ends when the token is revoked', async () => {
    const t = newToken('viewer', 'web', new Date(NOW / 1000));
    const tokens = fileLedgerRecords(ledgerPath).tokens;
    await tokens.put(t.record);
    await new Promise((r) => setTimeout(r, 1100)); // the server reads the tokens again at most once a second
    const signIn = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(signIn.status).toBe(204);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await get('/api/me', null, { cookie })).body).toMatchObject({ role: 'viewer', team: 'web' });
    const revokedAt = new Date(NOW / 1000).toISOString();
    await tokens.put({ ...t.record, revoked_at: revokedAt });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get('/api/me', t.token)).status).toBe(401);
    const after = await get('/api/me', null, { cookie });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('API_UNAUTHORIZED');
  });

  it("refuses a ledger write from any token but the server's own before reading its body (up to 128 MB)", async () => {
    // The body is begun and never finished: a 403 can only come before it is read.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/api/ledger/append`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminTok}`, 'content-type': 'application/json' },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer while the body was still being sent: the server waited to read it'));
      }, 3000);
      req.on('error', () => {});
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d;
        });
        res.on('end', () => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.write(`{"events":[${'{"event_id":"0000000000000001"},'.repeat(1000)}`);
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toMatchObject({
      code: 'API_FORBIDDEN',
      message:
        "/api/ledger/append writes to the ledger: only the server's own token (in <ledger>.server.json) may",
    });
    // Reading stays open to every admin token.
    const count = await fetch(`${base}/api/ledger/count`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminTok}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(count.status).toBe(200);
  });

  it('serves the OpenAPI 3.1 document generated from the schemas, without auth', async () => {
    const r = await get('/api/openapi.json', null);
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    // Every endpoint it lists is written in docs/api.md too (the store's calls in one row, `/api/ledger/{call}`).
    const doc = await readFile('docs/api.md', 'utf8');
    const calls = doc.split('\n').find((l) => l.includes('/api/ledger/{call}'))!;
    const documented = (path: string) =>
      doc.includes(path) || (path.startsWith('/api/ledger/') && calls.includes(`\`${path.slice(12)}\``));
    expect(Object.keys(r.body.paths).filter((path) => !documented(path))).toEqual([]);
    // Valid against the OpenAPI 3.1 schema, so client generators and API tools take it as it is.
    expect(await new Validator().validate(r.body)).toEqual({ valid: true });
    const params = r.body.paths['/api/breakdown'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['since', 'until', 'where', 'dims', 'bucket', 'top']));
    const bucket = r.body.paths['/api/breakdown'].get.parameters.find(
      (p: { name: string }) => p.name === 'bucket',
    );
    expect(bucket.schema.enum).toEqual(['hour', 'day', 'week', 'month']);
    // `top` says what it does to the rows of each endpoint that takes it: the flag of the folded row, or no such row.
    const topOf = (path: string) =>
      r.body.paths[path].get.parameters.find((p: { name: string }) => p.name === 'top').description as string;
    for (const path of ['/api/breakdown', '/api/timeseries'])
      expect(topOf(path), path).toMatch(/`other`: true.*`other`: false/);
    expect(topOf('/api/sessions')).not.toMatch(/other/);
    expect(r.body.paths['/api/events/{event_id}'].get.parameters[0]).toMatchObject({
      name: 'event_id',
      in: 'path',
    });
    const content = r.body.paths['/api/events/{event_id}/content'].get;
    expect(content.description).toBe('Admin token only.');
    expect(content.parameters.map((p: { name: string }) => p.name)).toEqual(['event_id', 'ts']);
    expect(Object.keys(content.responses['200'].content['application/json'].schema.properties)).toEqual([
      'event_id',
      'ts_us',
      'request',
      'completion',
    ]);
  });

  // A path in docs/api.md is not enough: its row names the methods besides GET it takes and the parameters a caller
  // may send (the range parameters once, in their own table), and every path the table names is served.
  it("documents each endpoint's methods and query parameters in its row of docs/api.md", async () => {
    const r = await get('/api/openapi.json', null);
    const doc = await readFile('docs/api.md', 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| `(?:[A-Z]+ )?\/api\//.test(l));
    const rangeTable = doc.split('\n').filter((l) => /^\| `(since|until|tz|where)` /.test(l));
    const pathsOf = (row: string) =>
      [...row.split('|')[1]!.matchAll(/\/api\/[\w/{}-]+/g)].map((m) => m[0].replace(/\/$/, ''));
    const rowOf = (path: string) =>
      rows.find((l) => pathsOf(l).includes(path.startsWith('/api/ledger/') ? '/api/ledger/{call}' : path));
    const unwritten: string[] = [];
    type Operation = { parameters: { name: string; in: string }[] };
    for (const [path, ops] of Object.entries(r.body.paths as Record<string, Record<string, Operation>>)) {
      const row = rowOf(path);
      if (row === undefined) {
        unwritten.push(`${path}: no row`);
        continue;
      }
      // "as breakdown": a row that points at another endpoint's takes its parameters.
      const like = /\bas (\w+)\b/.exec(row.split('|')[2]!)?.[1];
      const text = `${row}${like === undefined ? '' : (rowOf(`/api/${like}`) ?? '')}`;
      for (const [method, op] of Object.entries(ops)) {
        if (method !== 'get' && !text.includes(`\`${method.toUpperCase()}`))
          unwritten.push(`${path}: ${method.toUpperCase()}`);
        for (const p of op.parameters.filter((q) => q.in === 'query')) {
          const named = new RegExp(`[\`?&]${p.name}(?![\\w-])`);
          if (!named.test(text) && !rangeTable.some((l) => named.test(l)))
            unwritten.push(`${path}: ${p.name}`);
        }
      }
    }
    expect(unwritten, 'what docs/api.md does not write').toEqual([]);
    const served = Object.keys(r.body.paths);
    const named = rows.flatMap(pathsOf).filter((p) => p !== '/api/ledger/{call}' && !served.includes(p));
    expect(named, 'paths docs/api.md names that the API does not serve').toEqual([]);
  });
});

describe('data', () => {
  it('summary totals, cost per 1M tokens and cache savings agree with the events', async () => {
    const r = await get(`/api/summary?${RANGE}`);
    expect(r.status).toBe(200);
    expect(r.body.cost_usd).toBe(formatUsd(sum(events)));
    expect(r.body.events).toBe(60);
    // Every model had one input price: savings = cache reads × (input − cache read price), in pico-dollars.
    let saved = 0n;
    for (const e of events)
      saved += (BigInt(e.cache_read_tokens) * (e.rates!.input - e.rates!.cache_read)) / 10n ** 12n;
    expect(r.body.cache_savings_usd).toBe(formatUsd(saved));
    expect(r.body.month.budget_usd).toBeNull();
  });

  it("cost per 1M tokens is over priced tokens: an unpriced model's tokens do not dilute it", async () => {
    const priced = [makeEvent(1), makeEvent(2)];
    const unpriced = [3, 4].map((n) =>
      makeEvent(n, { model: 'mystery-7b', rates: null, input_tokens: 5_000_000 }),
    );
    const served = await serveApi('tl-api-per1m-', [...priced, ...unpriced]);
    try {
      const r = await fetch(`${served.base}/api/summary?${RANGE}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const body = (await r.json()) as J;
      const tokens = priced.reduce(
        (s, e) =>
          s +
          e.input_tokens +
          e.cache_read_tokens +
          e.cache_write_5m_tokens +
          e.cache_write_1h_tokens +
          e.output_tokens,
        0,
      );
      expect(body.unpriced.events).toBe(2);
      expect(body.cost_per_1m_tokens_usd).toBe(formatUsd((sum(priced) * 1_000_000n) / BigInt(tokens)));
    } finally {
      await served.close();
    }
  });

  it('the FOCUS dataset says in its headers how many events, and tokens, it left out for having no price', async () => {
    const unpriced = [3, 4].map((n) =>
      makeEvent(n, { model: 'mystery-7b', rates: null, input_tokens: 5_000_000, output_tokens: 7 }),
    );
    const served = await serveApi('tl-api-focus-unpriced-', [makeEvent(1), makeEvent(2), ...unpriced]);
    try {
      const r = await fetch(`${served.base}/api/focus?${RANGE}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(r.status).toBe(200);
      const tokens = unpriced.reduce((s, e) => s + totalTokens(e), 0);
      expect(tokens).toBeGreaterThan(10_000_000);
      expect(r.headers.get('x-tokenledger-unpriced-events')).toBe('2');
      expect(r.headers.get('x-tokenledger-unpriced-tokens')).toBe(String(tokens));
      expect((await r.text()).includes('mystery-7b')).toBe(false);
    } finally {
      await served.close();
    }
  });

  it('cache savings average the input price over priced events with a cost breakdown only', async () => {
    // One model: calls priced from the card (parts known), a call whose cost the provider gave (no parts), and a
    // call recorded before the model had a price. Only the first kind says what an input token cost.
    const computed = [makeEvent(1), makeEvent(2)];
    const given = makeEvent(3, {
      cost_usd: 999_000_000n,
      cost_input: null,
      cost_cache_read: null,
      cost_cache_write: null,
      cost_output: null,
      cost_source: 'provider',
      rates: null,
    });
    const unpriced = makeEvent(4, { rates: null });
    const served = await serveApi('tl-api-savings-', [...computed, given, unpriced]);
    try {
      const r = await fetch(`${served.base}/api/summary?${RANGE}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const body = (await r.json()) as J;
      let saved = 0n;
      for (const e of computed)
        saved += (BigInt(e.cache_read_tokens) * (e.rates!.input - e.rates!.cache_read)) / 10n ** 12n;
      expect(body.unpriced.events).toBe(1);
      expect(body.cache_savings_usd).toBe(formatUsd(saved));
    } finally {
      await served.close();
    }
  });

  it("compares with the previous period only when the ledger's records reach back past its start", async () => {
    const iso = (us: number) => new Date(us / 1000).toISOString();
    const between = (a: number, b: number) => events.filter((e) => e.ts >= a && e.ts < b);
    // The calls run from T0 to T0 + 42 h. From T0 + 24 h for 12 hours, the previous period starts at T0 + 12 h,
    // after the first calls; from T0 + 12 h for 24 hours, it starts before T0: recording began inside it, so its
    // spend is only what was recorded since.
    const late = await get(`/api/summary?since=${iso(T0 + 24 * HOUR)}&until=${iso(T0 + 36 * HOUR)}`);
    expect(late.body.previous).toEqual({
      since: iso(T0 + 12 * HOUR),
      until: iso(T0 + 24 * HOUR),
      cost_usd: formatUsd(sum(between(T0 + 12 * HOUR, T0 + 24 * HOUR))),
      complete: true,
    });
    const early = await get(`/api/summary?since=${iso(T0 + 12 * HOUR)}&until=${iso(T0 + 36 * HOUR)}`);
    expect(early.body.previous.cost_usd).toBe(formatUsd(sum(between(T0 - 12 * HOUR, T0 + 12 * HOUR))));
    expect(early.body.previous.complete).toBe(false);
    // With a filter, the filtered records: the payments team's first call is the ledger's first too.
    const team = await get(
      `/api/summary?where=team=payments&since=${iso(T0 + 24 * HOUR)}&until=${iso(T0 + 36 * HOUR)}`,
    );
    expect(team.body.previous.complete).toBe(true);
    const nobody = await get(
      `/api/summary?where=team=nobody&since=${iso(T0 + 24 * HOUR)}&until=${iso(T0 + 36 * HOUR)}`,
    );
    expect(nobody.body.previous.complete).toBe(false);
  });

  it('breakdown by team sums the events of each team', async () => {
    const r = await get(`/api/breakdown?dims=team&${RANGE}`);
    const byTeam = Object.fromEntries(r.body.rows.map((x: J) => [x.team, x.cost_usd]));
    expect(byTeam).toEqual({
      web: formatUsd(sum(events.filter((e) => e.team === 'web'))),
      payments: formatUsd(sum(events.filter((e) => e.team === 'payments'))),
    });
    const ts = await get(`/api/timeseries?dims=model&bucket=day&${RANGE}`);
    // 15 groups of calls 3 hours apart span two UTC days.
    expect(new Set(ts.body.rows.map((x: J) => x.bucket)).size).toBe(2);
  });

  it("metrics per team: exact costs and rates, with the summary's rate and savings in total", async () => {
    const r = await get(`/api/metrics?dims=team&${RANGE}`);
    expect(r.status).toBe(200);
    const tokens = (es: UsageEvent[]) =>
      es.reduce(
        (n, e) =>
          n +
          e.input_tokens +
          e.cache_read_tokens +
          e.cache_write_5m_tokens +
          e.cache_write_1h_tokens +
          e.output_tokens,
        0,
      );
    for (const team of ['web', 'payments']) {
      const mine = events.filter((e) => e.team === team);
      const g = r.body.groups.find((x: J) => x.team === team);
      expect(g).toMatchObject({
        cost_usd: formatUsd(sum(mine)),
        tokens: tokens(mine),
        requests: mine.length,
        unpriced_events: 0,
        cost_per_1m_tokens_usd: formatUsd((sum(mine) * 1_000_000n) / BigInt(tokens(mine))),
        cost_per_request_usd: formatUsd(sum(mine) / BigInt(mine.length)),
      });
    }
    const summary = await get(`/api/summary?${RANGE}`);
    expect(r.body.total.cost_per_1m_tokens_usd).toBe(summary.body.cost_per_1m_tokens_usd);
    expect(r.body.total.cache_savings_usd).toBe(summary.body.cache_savings_usd);
    // A team viewer's metrics are its team's.
    const viewer = await get(`/api/metrics?${RANGE}`, viewerWeb);
    expect(viewer.body.total.cost_usd).toBe(formatUsd(sum(events.filter((e) => e.team === 'web'))));
    expect((await get(`/api/metrics?dims=colour&${RANGE}`)).status).toBe(400);
    // By day: each day's groups, the days in order; a team's days add up to its range.
    const daily = await get(`/api/metrics?dims=team&bucket=day&${RANGE}`);
    const buckets = daily.body.groups.map((x: J) => x.bucket);
    expect(buckets).toEqual([...buckets].sort());
    expect(new Set(buckets).size).toBe(2);
    const web = daily.body.groups.filter((x: J) => x.team === 'web');
    expect(formatUsd(web.reduce((n: bigint, x: J) => n + parseDecimal(x.cost_usd), 0n))).toBe(
      formatUsd(sum(events.filter((e) => e.team === 'web'))),
    );
  });

  it('reads dates and buckets days on the clocks of the zone `tz` names, and its month is month-to-date', async () => {
    // New York is UTC−5 in January: its days begin at 05:00 UTC, so the calls from T0 (00:00 UTC) to T0 + 42 h
    // fall in three of its days where they fall in two UTC days.
    const iso = (us: number) => new Date(us / 1000).toISOString();
    const ts = await get(`/api/timeseries?bucket=day&tz=america/new_york&${RANGE}`);
    expect(ts.status).toBe(200);
    const starts = [T0 - 19 * HOUR, T0 + 5 * HOUR, T0 + 29 * HOUR];
    expect(ts.body.rows.map((x: J) => [x.bucket, x.cost_usd])).toEqual(
      starts.map((s) => [iso(s), formatUsd(sum(events.filter((e) => e.ts >= s && e.ts < s + DAY)))]),
    );
    // A date in `since` is that zone's midnight; the summary's month is that zone's month.
    const day = await get('/api/summary?since=2026-01-05&until=2026-01-06&tz=America/New_York');
    expect([day.body.since, day.body.until]).toEqual([iso(T0 + 5 * HOUR), iso(T0 + 29 * HOUR)]);
    expect(day.body.cost_usd).toBe(
      formatUsd(sum(events.filter((e) => e.ts >= T0 + 5 * HOUR && e.ts < T0 + 29 * HOUR))),
    );
    expect(day.body.month.start).toBe('2026-01-01T05:00:00.000Z');
    const tokyo = await get(`/api/summary?tz=Asia/Tokyo&${RANGE}`);
    expect(tokyo.body.month.start).toBe('2025-12-31T15:00:00.000Z');
    // Without `tz`, UTC, as before.
    const utc = await get(`/api/summary?${RANGE}`);
    expect(utc.body.month.start).toBe('2026-01-01T00:00:00.000Z');
  });

  it('filters a model named as people copy it (dated) by the id the ledger stores', async () => {
    const r = await get(`/api/breakdown?dims=model&where=model=claude-sonnet-4-5-20250929&${RANGE}`);
    expect(r.body.rows.map((x: J) => [x.model, x.events])).toEqual([
      ['claude-sonnet-4-5', events.filter((e) => e.model === 'claude-sonnet-4-5').length],
    ]);
  });

  it('pages through every event once, newest first, across equal timestamps', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: J = await get(`/api/events?${RANGE}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.events.map((e: J) => e.event_id));
      cursor = r.body.next_cursor;
    } while (cursor !== null);
    const want = [...events]
      .sort((a, b) => b.ts - a.ts || (a.event_id < b.event_id ? 1 : -1))
      .map((e) => e.event_id);
    expect(seen).toEqual(want);
  });

  it("one event's record shows its cost parts and that the formula reproduces them", async () => {
    const e = events[7]!;
    const r = await get(`/api/events/${e.event_id}?ts=${e.ts}`);
    expect(r.status).toBe(200);
    expect(r.body.event.cost_usd).toBe(formatUsd(e.cost_usd!));
    expect(r.body.event.rates.input).toBe('3.000000000000000000');
    expect(r.body.cost.recomputed.cost_usd).toBe(formatUsd(e.cost_usd!));
    expect(r.body.cost.matches).toBe(true);
    // Its 3 web searches at $10 per 1,000: $0.03 in cost_usd, in none of the four parts.
    expect(r.body.event.web_search_requests).toBe(3);
    expect(r.body.event.rates.web_search).toBe('10.000000000000000000');
    expect(r.body.cost.recomputed.web_search_fee).toBe('0.030000000000');
    const parts = ['cost_input', 'cost_cache_read', 'cost_cache_write', 'cost_output'];
    const sum = parts.reduce((n, p) => n + parseDecimal(r.body.event[p]), 0n);
    expect(parseDecimal(r.body.event.cost_usd) - sum).toBe(parseDecimal('0.03'));
    expect((await get(`/api/events/${e.event_id}?ts=${e.ts + 1}`)).status).toBe(404);
  });

  it('a transcription billed by its duration shows the audio fee beside the parts, and the formula reproduces it', async () => {
    const pricer = createPricer(await loadBundledCatalog(), null);
    // After NOW, outside every other test's range. whisper-1, 9 s at $0.36 per hour: $0.0009, no token part.
    const transcribed = pricer.price(
      unpricedEvent({
        event_id: 'a0d10d0000000001',
        provider: 'openai',
        model: 'whisper-1',
        operation: 'audio.transcriptions',
        audio_ms: 9_000,
        ts: NOW + 3 * DAY,
      }),
    );
    await store.append([transcribed]);
    const r = await get(`/api/events/a0d10d0000000001?ts=${transcribed.ts}`);
    expect(r.status).toBe(200);
    expect(r.body.event).toMatchObject({
      audio_ms: 9000,
      cost_usd: '0.000900000000',
      cost_input: '0.000000000000',
    });
    expect(r.body.event.rates.audio_hour).toBe('0.360000000000000000');
    expect(r.body.cost).toMatchObject({ method: 'computed', matches: true });
    expect(r.body.cost.recomputed.audio_fee).toBe('0.000900000000');
    expect(r.body.cost.formula).toContain('audio_fee = round_half_even(audio_ms × audio_hour / 3.6·10^6)');
  });

  it('a call that used nothing explains its $0 without a table of zero rates for a model that has no price', async () => {
    const pricer = createPricer(await loadBundledCatalog(), null);
    // After NOW, outside every other test's range.
    const failed = pricer.price(
      unpricedEvent({
        event_id: 'f00dfa11ed000001',
        model: 'gpt-4o-typo',
        status: 'error',
        ts: NOW + 2 * DAY,
      }),
    );
    await store.append([failed]);
    const r = await get(`/api/events/f00dfa11ed000001?ts=${failed.ts}`);
    expect(r.status).toBe(200);
    expect(r.body.event).toMatchObject({ cost_source: 'computed', cost_usd: '0.000000000000' });
    expect(r.body.cost).toMatchObject({ method: 'computed', matches: true });
    expect(r.body.cost.note).toContain(
      'used no tokens, no paid searches and no audio billed by its duration: it costs exactly $0 at any price',
    );
    expect(r.body.cost.formula).toBeUndefined();
  });

  it('sessions: the N costliest, each with every agent and person it ran under; events of no session are not one', async () => {
    // After NOW, so the other tests' ranges do not see them: the costliest group of the range, but no session.
    const loose = [0, 1, 2].map((i) =>
      makeEvent(1000 + i, { ts: NOW + HOUR + i, session_id: null, input_tokens: 5_000_000 }),
    );
    await store.append(loose);
    const range = `since=${new Date(T0 / 1000).toISOString()}&until=${new Date((NOW + DAY) / 1000).toISOString()}`;
    const s = await get(`/api/sessions?${range}&top=2`);
    expect(s.status).toBe(200);
    const bySession = new Map<string, bigint>();
    for (const e of events) bySession.set(e.session_id!, (bySession.get(e.session_id!) ?? 0n) + e.cost_usd!);
    const costliest = [...bySession].sort((a, b) => (b[1] > a[1] ? 1 : -1)).slice(0, 2);
    const listed: J[] = s.body.sessions;
    expect([...new Set(listed.map((x) => x.session_id))]).toEqual(costliest.map(([id]) => id));
    const groups = new Set(
      events
        .filter((e) => costliest.some(([id]) => id === e.session_id))
        .map((e) => `${e.session_id}|${e.agent}|${e.user}|${e.team}`),
    );
    expect(new Set(listed.map((x) => `${x.session_id}|${x.agent}|${x.user}|${x.team}`))).toEqual(groups);
    for (const [id, cost] of costliest) {
      const rows = listed.filter((x) => x.session_id === id);
      expect(rows.reduce((n: bigint, x: J) => n + parseDecimal(x.cost_usd), 0n)).toBe(cost);
    }
    expect(s.body.agents.reduce((n: bigint, x: J) => n + parseDecimal(x.cost_usd), 0n)).toBe(
      sum([...events, ...loose]),
    );
    // The longest by calls, whatever they cost, found in the same pass.
    const calls = new Map<string, number>();
    for (const e of events) calls.set(e.session_id!, (calls.get(e.session_id!) ?? 0) + e.requests);
    const longest = [...calls].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
    expect(s.body.longest.map((x: J) => [x.session_id, x.requests])).toEqual(longest);
  });

  it('flags a runaway by cost against the median of wholly priced sessions, not of sessions with no price', async () => {
    // Five priced sessions, $5 to $70, and five of a model with no price, listed at $0 among the costliest. The
    // priced median is $6: $70 is ten times it and $55 is not. Read as free, the unpriced ones would bring the median
    // down to $5 and flag the $55 session too.
    const usd = (n: number) => BigInt(n) * 10n ** 12n;
    const priced = [5, 6, 6, 55, 70].map((cost, i) =>
      makeEvent(i, { session_id: `p${cost}-${i}`, cost_usd: usd(cost) }),
    );
    const unpriced = [10, 11, 12, 13, 14].map((n) =>
      makeEvent(n, { session_id: `u${n}`, model: 'mystery-7b', rates: null }),
    );
    const served = await serveApi('tl-api-runaway-', [...priced, ...unpriced]);
    try {
      const r = await fetch(`${served.base}/api/sessions?${RANGE}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const body = (await r.json()) as J;
      expect(body.sessions).toHaveLength(10);
      expect(body.sessions.filter((x: J) => x.runaway).map((x: J) => x.session_id)).toEqual(['p70-4']);
    } finally {
      await served.close();
    }
  });

  it('bad parameters get a 400 naming the parameter and what is allowed', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/breakdown?bucket=year', 'bucket', /hour/],
      ['/api/breakdown?dims=colour', 'dims', /team/],
      ['/api/breakdown?dims=team,day', 'dims', /"day" is time, not a dimension; use bucket=day/],
      ['/api/breakdown?dims=team,model,user', 'dims', /at most 2/],
      ['/api/breakdown?top=0', 'top', /1/],
      ['/api/events?limit=-1', 'limit', /^parameter "limit": must be at least 1 \(events per page, 1-1000/],
      ['/api/summary?since=yesterday-ish', 'since', /30d/],
      ['/api/summary?where=team', 'where', /DIM=VALUE/],
      [
        '/api/summary?where=team=web,model=gpt-5',
        'where',
        /"team=web,model=gpt-5" holds two conditions; give "model=gpt-5" its own \(where=team=web&where=model=gpt-5\)/,
      ],
      ['/api/summary?colour=red', 'colour', /since, until, tz, where/],
      ['/api/timeseries?tz=Mars/Olympus', 'tz', /not an IANA time zone; use a name like Europe\/Berlin/],
      ['/api/events?tz=%2B05:00', 'tz', /not an IANA time zone/],
      ['/api/events?cursor=abc', 'cursor', /next_cursor/],
      ['/api/events?limit=5000', 'limit', /must be at most 1000/],
      ['/api/events/zz?ts=1', 'event_id', /16 hex/],
      ['/api/events/0000000000000001', 'ts', /event time/],
      ['/api/events/0000000000000001?ts=soon', 'ts', /ts_us/],
      ['/api/events/zz/content?ts=1', 'event_id', /16 hex/],
      ['/api/events/0000000000000001/content', 'ts', /event time/],
      ['/api/events/0000000000000001/content?ts=soon', 'ts', /ts_us/],
      // Times the ledger cannot hold: named as given, not as the store's derived bounds, and never a 500.
      ['/api/summary?until=99999999999999', 'until', /after 2200.*milliseconds/],
      ['/api/sessions?until=99999999999999', 'until', /after 2200/],
      ['/api/breakdown?since=-99999999999999', 'since', /before 1970/],
      ['/api/runaways?since=-99999999999999', 'since', /before 1970/],
      ['/api/anomalies?until=99999999999999', 'until', /after 2200/],
      ['/api/alerts?since=99999999999999', 'since', /after 2200/],
      ['/api/events/0000000000000001?ts=99999999999999', 'ts', /after 2200/],
    ];
    for (const [path, name, allowed] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.error.code).toBe('API_BAD_PARAM');
      expect(r.body.error.message, path).toContain(`"${name}"`);
      expect(r.body.error.message, path).toMatch(allowed);
    }
  });

  it('takes a count (limit, top, window_minutes) only as plain decimal digits, not as anything Number() reads', async () => {
    const counts: [string, string][] = [
      ['/api/events', 'limit'],
      ['/api/breakdown', 'top'],
      ['/api/sessions', 'top'],
      ['/api/alerts', 'limit'],
      ['/api/runaways', 'window_minutes'],
    ];
    // Hex, an exponent, a fraction, padding, a sign, an empty value: each a 400 naming the parameter.
    for (const [path, name] of counts)
      for (const value of ['0x10', '1e2', '2.0', '%201', '1%20', '+5', '', '0b1', 'Infinity']) {
        const r = await get(`${path}?${name}=${value}`);
        expect(r.status, `${path}?${name}=${value}`).toBe(400);
        expect(r.body.error.code).toBe('API_BAD_PARAM');
        expect(r.body.error.message, `${path}?${name}=${value}`).toMatch(
          new RegExp(`^parameter "${name}": expected a whole number`),
        );
      }
    expect((await get(`/api/events?${RANGE}&limit=16`)).body.events).toHaveLength(16);
    expect((await get(`/api/events?${RANGE}&limit=007`)).body.events).toHaveLength(7);
  });

  it("names Object's own property names (constructor, toString, __proto__) as unknown parameters, like any other", async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = await get(`/api/summary?${RANGE}&${name}=x`);
      expect(r.status, name).toBe(400);
      expect(r.body.error.code).toBe('API_BAD_PARAM');
      expect(r.body.error.message, name).toBe(
        `parameter "${name}": unknown parameter; this endpoint takes since, until, tz, where`,
      );
    }
  });

  it('takes an anomaly threshold only as a plain decimal, not as anything Number() reads', async () => {
    for (const value of ['0x10', '1e1', '%208', '8%20', '+8', '', 'Infinity', '8.']) {
      const r = await get(`/api/anomalies?threshold=${value}`);
      expect(r.status, value).toBe(400);
      expect(r.body.error.code).toBe('API_BAD_PARAM');
      expect(r.body.error.message, value).toMatch(
        /^parameter "threshold": expected a decimal number such as 8 or 6\.5/,
      );
    }
    for (const value of ['8', '6.5', '0.5'])
      expect((await get(`/api/anomalies?${RANGE}&threshold=${value}`)).status).toBe(200);
  });
});

describe("a person's five-hour windows", () => {
  it("are the windows of that person's agent calls, all of them, to the pico-dollar; several people are a 400", async () => {
    const several = await get(`/api/blocks?${RANGE}`);
    expect(several.status).toBe(400);
    expect(several.body.error.message).toMatch(
      /^parameter "where": 4 people have agent calls .* where=user=NAME/,
    );
    const r = await get(`/api/blocks?${RANGE}&where=user=web-user-1`);
    expect(r.status).toBe(200);
    const mine = events.filter((e) => e.user === 'web-user-1');
    expect(r.body.user).toBe('web-user-1');
    const blocks = r.body.blocks as { agent: string; calls: number; cost_usd: string; start: string }[];
    expect(new Set(blocks.map((b) => b.agent))).toEqual(new Set(['claude-code']));
    expect(blocks.reduce((n, b) => n + b.calls, 0)).toBe(mine.length);
    expect(blocks.reduce((t, b) => t + parseDecimal(b.cost_usd, 12), 0n)).toBe(sum(mine));
    // A window opens at the hour of its first call: the first is the person's first call's.
    const first = Math.min(...mine.map((e) => e.ts));
    expect(Date.parse(blocks[0]!.start) * 1000).toBe(first - (first % HOUR));
    // A viewer of team web sees no payments person's windows.
    const other = await get(`/api/blocks?${RANGE}&where=user=payments-user-1`, viewerWeb);
    expect([other.status, other.body.blocks]).toEqual([200, []]);
  });
});

describe('a team-scoped viewer sees only its team', () => {
  const web = () => events.filter((e) => e.team === 'web');

  it('in KPIs and breakdowns, also when it filters on another team', async () => {
    expect((await get(`/api/summary?${RANGE}`, viewerWeb)).body.cost_usd).toBe(formatUsd(sum(web())));
    const b = await get(`/api/breakdown?dims=team,user&${RANGE}`, viewerWeb);
    expect(new Set(b.body.rows.map((x: J) => x.team))).toEqual(new Set(['web']));
    const other = await get(`/api/breakdown?dims=user&where=team=payments&${RANGE}`, viewerWeb);
    expect(other.body.rows).toEqual([]);
    expect(other.body.totals.cost_usd).toBe('0.000000000000');
    const either = await get(`/api/summary?where=team=payments&where=team=web&${RANGE}`, viewerWeb);
    expect(either.body.cost_usd).toBe(formatUsd(sum(web())));
    const byUser = await get(`/api/breakdown?dims=user&where=user=payments-user-0&${RANGE}`, viewerWeb);
    expect(byUser.body.rows).toEqual([]);
  });

  it('in events, event records, sessions, keys and CSV exports', async () => {
    const ev = await get(`/api/events?${RANGE}&limit=1000`, viewerWeb);
    expect(ev.body.events.length).toBe(web().length);
    expect(ev.body.events.every((e: J) => e.team === 'web')).toBe(true);
    const pay = events.find((e) => e.team === 'payments')!;
    expect((await get(`/api/events/${pay.event_id}?ts=${pay.ts}`, viewerWeb)).status).toBe(404);
    expect((await get(`/api/events/${pay.event_id}?ts=${pay.ts}`, viewerAll)).status).toBe(200);
    const csv = await get(`/api/events?${RANGE}&limit=1000&format=csv&where=team=payments`, viewerWeb);
    expect(csv.body.trim().split('\n').length).toBe(1);
    const bcsv = await get(`/api/breakdown?dims=team&${RANGE}&format=csv`, viewerWeb);
    expect(bcsv.headers.get('content-disposition')).toContain('breakdown.csv');
    expect(bcsv.body).not.toContain('payments');
    expect(bcsv.body).toContain('web');
    const s = await get(`/api/sessions?${RANGE}`, viewerWeb);
    expect(s.body.sessions.length).toBeGreaterThan(0);
    expect(s.body.sessions.every((x: J) => x.team === 'web')).toBe(true);
    // The session rollup path, also when the viewer filters on another team's person or team.
    const costOf = (rows: J[]) => rows.reduce((n: bigint, x: J) => n + parseDecimal(x.cost_usd), 0n);
    expect(costOf(s.body.sessions)).toBe(sum(web()));
    expect(costOf(s.body.agents)).toBe(sum(web()));
    for (const where of ['team=payments', 'user=payments-user-0']) {
      const none = await get(`/api/sessions?${RANGE}&where=${where}`, viewerWeb);
      expect(none.body).toEqual({ sessions: [], longest: [], agents: [] });
    }
    const imports = await get('/api/imports', viewerWeb);
    expect(imports.body.sources[0].events).toBe(web().length);
    expect(imports.body.files).toEqual([]);
  });
});

describe("a call's stored prompt and completion", () => {
  const path = (e: UsageEvent, ts: number | string = e.ts) => `/api/events/${e.event_id}/content?ts=${ts}`;

  it('an admin reads them exactly as stored, by ts_us or the ISO ts, with any admin token', async () => {
    const e = events[4]!;
    for (const token of [ADMIN, adminTok]) {
      const r = await get(path(e), token);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toEqual({
        event_id: e.event_id,
        ts_us: e.ts,
        request: called(e).request,
        completion: called(e).completion,
      });
    }
    const iso = (await get(`/api/events/${e.event_id}?ts=${e.ts}`)).body.event.ts;
    expect((await get(path(e, iso))).body.request).toBe(called(e).request);
  });

  it('a call without stored text is a 404 that says text is kept only for keys created with --store-content', async () => {
    const e = events[5]!;
    expect((await get(`/api/events/${e.event_id}?ts=${e.ts}`)).status).toBe(200);
    const r = await get(path(e));
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('API_NOT_FOUND');
    expect(r.body.error.message).toContain('keys create --store-content');
    // Another time is another event.
    expect((await get(path(events[4]!, events[4]!.ts + 1))).status).toBe(404);
  });

  it('every read is in the audit log before the text is given: who, which call, whether text was there', async () => {
    const log = async () =>
      (await readFile(contentAuditPath(ledgerPath), 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l));
    const before = (await log()).length;
    const [kept, none] = [events[4]!, events[5]!];
    expect((await get(path(kept), adminTok)).status).toBe(200);
    expect((await get(path(none))).status).toBe(404);
    // A viewer's request is refused before anything is read: it reads nothing, so it is no read.
    expect((await get(path(kept), viewerWeb)).status).toBe(403);
    const reads = (await log()).slice(before);
    expect(reads).toEqual([
      {
        at: expect.any(String),
        actor: `api:${adminTokId}`,
        action: 'read',
        event_id: kept.event_id,
        ts_us: kept.ts,
        found: true,
      },
      {
        at: expect.any(String),
        actor: 'api:server',
        action: 'read',
        event_id: none.event_id,
        ts_us: none.ts,
        found: false,
      },
    ]);
    expect(Number.isNaN(Date.parse(reads[0].at))).toBe(false);
    expect((await stat(contentAuditPath(ledgerPath))).mode & 0o777).toBe(0o600);
  });

  it('is refused to every viewer alike, whether the call is its team, another team or none: no existence oracle', async () => {
    const [pay, web, none] = [events[3]!, events[4]!, events[5]!];
    const missing = makeEvent(99_999, { ts: T0 });
    for (const token of [viewerWeb, viewerAll])
      for (const e of [pay, web, none, missing]) {
        const r = await get(path(e), token);
        expect(r.status, `${e.event_id} ${token === viewerWeb ? 'web' : 'all'}`).toBe(403);
        expect(r.body.error).toEqual({
          type: 'tokenledger_error',
          code: 'API_FORBIDDEN',
          message: `GET /api/events/${e.event_id}/content is for admin tokens only`,
        });
        expect(JSON.stringify(r.body)).not.toContain('because');
      }
    // The 403 comes before the parameters are read: a malformed address says nothing either.
    expect((await get('/api/events/zz/content?ts=1', viewerWeb)).status).toBe(403);
    expect((await get(path(pay), null)).status).toBe(401);
  });
});

// The dashboard's "Download CSV" means the range's events: a download cut at its first page, with nothing to say so,
// reads as the whole audit trail. The CSV is read and sent a page of 1,000 events at a time.
describe('the FOCUS dataset for FinOps tools', () => {
  it("is the range's spend as FOCUS 1.2 CSV, for admins only, and leaves no file behind", async () => {
    const r = await get(`/api/focus?${RANGE}`, adminTok);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toContain('focus.csv');
    const [header, ...rows] = String(r.body).trimEnd().split('\n');
    expect(header).toBe(FOCUS_COLUMNS.join(','));
    // BilledCost is the first column and never quoted: the rows' sum is the ledger's spend.
    const billed = rows.reduce((t, row) => t + parseDecimal(row.split(',')[0]!, 12), 0n);
    expect(billed).toBe(sum(events));
    expect((await readdir(dir)).filter((n) => n.startsWith('.focus-'))).toEqual([]);
    expect(r.headers.get('x-tokenledger-unpriced-events')).toBe('0');
    // The same rows as typed Parquet, byte for byte what the store wrote.
    const pq = await fetch(`${base}/api/focus?${RANGE}&format=parquet`, {
      headers: { authorization: `Bearer ${adminTok}` },
    });
    expect([pq.status, pq.headers.get('content-type')]).toEqual([200, 'application/vnd.apache.parquet']);
    const file = join(dir, 'pulled.focus.parquet');
    await writeFile(file, Buffer.from(await pq.arrayBuffer()));
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const [[n, total]] = (
      await c.runAndReadAll(`SELECT count(*), sum(BilledCost)::VARCHAR FROM read_parquet('${file}')`)
    ).getRows() as [[bigint, string]];
    c.closeSync();
    await rm(file);
    expect([Number(n), parseDecimal(total, 12)]).toEqual([rows.length, sum(events)]);
    // Every team's spend, which no viewer's scope narrows.
    expect((await get(`/api/focus?${RANGE}`, viewerAll)).status).toBe(403);
    expect((await get(`/api/focus?${RANGE}`, null)).status).toBe(401);
  });

  it('refers to its schema metadata, which any token reads without the data: every column, in order', async () => {
    const r = await get(`/api/focus?${RANGE}`, adminTok);
    expect(r.headers.get('link')).toBe('</api/focus/metadata>; rel="describedby"; type="application/json"');
    const m = await get('/api/focus/metadata', viewerWeb);
    expect(m.status).toBe(200);
    const metadata = m.body as { ColumnDefinition: { ColumnName: string }[] } & Record<string, unknown>;
    expect(metadata).toMatchObject({ DataGenerator: 'tokenledger', FocusVersion: '1.2' });
    expect(metadata.ColumnDefinition.map((c) => c.ColumnName).join(',')).toBe(String(r.body).split('\n')[0]);
    expect(metadata.ColumnDefinition.find((c) => c.ColumnName === 'BilledCost')).toEqual({
      ColumnName: 'BilledCost',
      DataType: 'DECIMAL',
      NumericPrecision: 38,
      NumberScale: 12,
    });
    expect((await get('/api/focus/metadata', null)).status).toBe(401);
  });
});

describe('a CSV download of events', () => {
  let big: ServedApi;
  beforeAll(async () => {
    // Sevens share one ts, so the pages' seams fall inside runs of equal timestamps.
    const evs = Array.from({ length: 2_503 }, (_, i) =>
      makeEvent(i, { ts: T0 + Math.floor(i / 7) * 60_000_000, team: i % 2 ? 'web' : 'payments' }),
    );
    big = await serveApi('tl-api-csv-', evs);
  });
  afterAll(() => big.close());

  const csvIds = async (query: string) => {
    const r = await fetch(`${big.base}/api/events?${RANGE}&format=csv${query}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('events.csv');
    const [header, ...lines] = (await r.text()).trimEnd().split('\n');
    const col = header!.split(',').indexOf('event_id');
    return lines.map((l) => l.split(',')[col]);
  };
  const newestFirst = (es: UsageEvent[]) =>
    [...es].sort((a, b) => b.ts - a.ts || (a.event_id < b.event_id ? 1 : -1)).map((e) => e.event_id);

  it('holds every event of the range once, newest first, across pages and equal timestamps', async () => {
    expect(await csvIds('')).toEqual(newestFirst(big.events));
    expect(await csvIds('&where=team=web')).toEqual(newestFirst(big.events.filter((e) => e.team === 'web')));
  });

  it('holds as many as a limit asks, after a cursor when given', async () => {
    const all = newestFirst(big.events);
    expect(await csvIds('&limit=10')).toEqual(all.slice(0, 10));
    const page = await fetch(`${big.base}/api/events?${RANGE}&limit=1000`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    }).then((r) => r.json() as Promise<J>);
    expect(await csvIds(`&cursor=${page.next_cursor}`)).toEqual(all.slice(1000));
  });
});

// A team may really be called "other": the row that folds every group past the top N must not read as that team.
describe('the "other" row of a top-N answer', () => {
  let o: ServedApi;
  beforeAll(async () => {
    // The team named "other" spends most (4 calls on gpt-5), so a top 1 keeps it and folds web and payments.
    const evs = ['other', 'other', 'other', 'other', 'web', 'payments'].map((team, i) =>
      makeEvent(i, { ts: T0 + i * HOUR, team, model: 'gpt-5', rates: CARDS.gpt }),
    );
    o = await serveApi('tl-api-other-', evs);
  });
  afterAll(() => o.close());
  const read = (path: string) => fetch(`${o.base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const costOf = (teams: string[]) => formatUsd(sum(o.events.filter((e) => teams.includes(e.team!))));

  it('flags the folded row with other: true, and every kept row, the team named "other" too, with false', async () => {
    const r = (await (await read(`/api/breakdown?dims=team&top=1&${RANGE}`)).json()) as J;
    expect(r.rows.map((x: J) => [x.team, x.other, x.cost_usd])).toEqual([
      ['other', false, costOf(['other'])],
      ['other', true, costOf(['web', 'payments'])],
    ]);
    const ts = (await (await read(`/api/timeseries?dims=team&top=1&bucket=month&${RANGE}`)).json()) as J;
    expect(ts.rows.map((x: J) => [x.team, x.other, x.cost_usd])).toEqual([
      ['other', false, costOf(['other'])],
      ['other', true, costOf(['web', 'payments'])],
    ]);
  });

  it('puts the flag last in a CSV, so the columns clients read by position stay where they were', async () => {
    const csv = await (await read(`/api/breakdown?dims=team&top=1&format=csv&${RANGE}`)).text();
    const [header, kept, folded] = csv.trimEnd().split('\n');
    expect(header!.split(',').at(0)).toBe('team');
    expect(header!.split(',').at(-1)).toBe('other');
    expect(kept!.split(',').at(-1)).toBe('false');
    expect(folded!.split(',').at(-1)).toBe('true');
  });

  it('leaves rows without top as they were: nothing is folded', async () => {
    const r = (await (await read(`/api/breakdown?dims=team&${RANGE}`)).json()) as J;
    expect(r.rows.every((x: J) => !('other' in x))).toBe(true);
  });
});

describe('a CSV download of a breakdown', () => {
  it('has its header also when nothing matches, so a script reading it by column name still can', async () => {
    const full = await get(`/api/breakdown?dims=team,model&bucket=day&top=3&format=csv&${RANGE}`);
    const empty = await get(
      `/api/breakdown?dims=team,model&bucket=day&top=3&format=csv&where=team=nobody&${RANGE}`,
    );
    expect(empty.status).toBe(200);
    const header = String(full.body).split('\n')[0]!;
    expect(header.split(',').slice(0, 3)).toEqual(['bucket', 'team', 'model']);
    expect(empty.body).toBe(`${header}\n`);
    const plain = await get(`/api/timeseries?dims=model&format=csv&where=team=nobody&${RANGE}`);
    expect(String(plain.body).split('\n')[0]).toBe(
      String((await get(`/api/timeseries?dims=model&format=csv&${RANGE}`)).body).split('\n')[0],
    );
  });
});

// Team and user names come from whoever sends the calls (a gateway header, an agent's log). A CSV cell that starts
// with = + - @ is a formula to the spreadsheet that opens the download: it must arrive as the text it is.
describe('a CSV download of names that read as formulas', () => {
  let f: ServedApi;
  const NAMES = ['=1+2', '+SUM(A1:A9)', '-2+3', '@cmd', '\tlead'];
  beforeAll(async () => {
    const evs = NAMES.map((team, i) => makeEvent(i, { ts: T0 + i * HOUR, team, user: team }));
    f = await serveApi('tl-api-formula-', evs);
  });
  afterAll(() => f.close());
  const csv = async (path: string) => {
    const r = await fetch(`${f.base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const [header, ...lines] = (await r.text()).trimEnd().split('\n');
    return { cols: header!.split(','), lines: lines.map((l) => l.split(',')) };
  };

  it('sends each such name after a quote mark, as spreadsheets read text, in breakdowns and events alike', async () => {
    const b = await csv(`/api/breakdown?dims=team&format=csv&${RANGE}`);
    const team = b.cols.indexOf('team');
    expect(b.lines.map((l) => l[team]).sort()).toEqual(NAMES.map((n) => `'${n}`).sort());
    const e = await csv(`/api/events?format=csv&${RANGE}`);
    expect(e.lines.map((l) => l[e.cols.indexOf('user')]).sort()).toEqual(NAMES.map((n) => `'${n}`).sort());
  });

  it('leaves numbers as numbers: money and counts are not text', async () => {
    const b = await csv(`/api/breakdown?dims=team&format=csv&${RANGE}`);
    for (const l of b.lines) {
      expect(l[b.cols.indexOf('cost_usd')]).toMatch(/^\d+\.\d{12}$/);
      expect(l[b.cols.indexOf('input_tokens')]).toMatch(/^\d+$/);
    }
    // A negative amount (a provider's credit) starts with - and is still a number.
    expect(toCsv([{ amount: '-1.500000000000', team: '-web' }])).toBe("amount,team\n-1.500000000000,'-web\n");
  });
});
