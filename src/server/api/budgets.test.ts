import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertLogPath } from '../../budgets/alerts/alert-log.js';
import { BudgetBook, toBudget } from '../../budgets/book/budget-book.js';
import type { UsageEvent } from '../../ledger/event.js';
import { formatUsd } from '../../money/money.js';
import { loadBundledCatalog } from '../../pricing/bundled-catalog.js';
import { createPricer } from '../../pricing/pricer.js';
import { createDuckDbStore } from '../../store/duckdb/duckdb-store.js';
import type { Store } from '../../store/store.js';
import { DAY, HOUR, makeEvent, T0 } from '../../store/testing/event-factory.js';
import { fileLedgerRecords } from '../ledger-records.js';
import { createApi } from './api.js';
import { newToken } from './token-file.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape the assertions check
type J = any;

// T0 is Monday 2026-01-05; "now" is Thursday the 8th, noon UTC.
const NOW = T0 + 3 * DAY + 12 * HOUR;
const ADMIN = 'server-admin-token-for-budget-tests';
let dir: string;
let store: Store;
let server: Server;
let base: string;
let viewerWeb: string;
let events: UsageEvent[];

async function call(method: string, path: string, body?: unknown, token: string | null = ADMIN) {
  const r = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: (await r.json()) as J };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-api-budgets-'));
  const ledgerPath = join(dir, 'ledger.duckdb');
  store = await createDuckDbStore(ledgerPath);
  // One event every 6 hours from Sunday the 4th to Thursday the 8th, alternating teams.
  events = [];
  for (let i = 0; i < 20; i++)
    events.push(makeEvent(i, { ts: T0 - DAY + i * 6 * HOUR, team: i % 2 ? 'web' : 'payments' }));
  await store.append(events);
  const t = newToken('viewer', 'web', new Date(NOW / 1000));
  const records = fileLedgerRecords(ledgerPath);
  await records.tokens.put(t.record);
  viewerWeb = t.token;
  const fromConfig = toBudget(
    { scope: { team: 'web' }, period: 'daily', limit_usd: '1' },
    'web-daily',
    'config',
    '2026-01-01T00:00:00.000Z',
  );
  const api = createApi({
    store,
    ledgerPath,
    records,
    adminToken: ADMIN,
    now: () => NOW,
    budgets: new BudgetBook(records, [fromConfig]),
    // As serve gives it: a model filter also matches the canonical id of the name it was given.
    pricer: createPricer(await loadBundledCatalog(), null),
  });
  server = createServer((req, res) => {
    if (!api.handle(req, res, (req.url ?? '/').split('?')[0]!)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const spendOf = (team: string, since: number, until: number) =>
  formatUsd(
    events
      .filter((e) => e.team === team && e.ts >= since && e.ts < until)
      .reduce((s, e) => s + (e.cost_usd ?? 0n), 0n),
  );

describe('budgets over HTTP', () => {
  it('an admin adds a budget; the list shows its spend this period from the ledger', async () => {
    const created = await call('POST', '/api/budgets', {
      scope: { team: 'payments' },
      period: 'weekly',
      limit_usd: '2.5',
      action: 'block',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      scope: { team: 'payments' },
      period: { kind: 'weekly' },
      origin: 'api',
    });
    const list = await call('GET', '/api/budgets');
    const mine = list.body.budgets.find((s: J) => s.budget.id === created.body.id);
    // The ISO week that holds Thursday the 8th starts Monday the 5th (T0): Sunday's event is not in it.
    expect(mine.window).toMatchObject({ start: '2026-01-05T00:00:00.000Z', end: '2026-01-12T00:00:00.000Z' });
    expect(mine.spend_usd).toBe(spendOf('payments', T0, NOW));
    expect(mine.limit_usd).toBe('2.500000000000');
    const history = (await call('GET', `/api/budgets/${created.body.id}`)).body.history;
    expect(history).toMatchObject([{ action: 'create', actor: 'api:server', before: null }]);
  });

  it('changes and removes a budget, each change in the audit log with before and after', async () => {
    const { body: b } = await call('POST', '/api/budgets', {
      scope: { user: 'u1' },
      period: 'daily',
      limit_usd: 5,
    });
    const upd = await call('PUT', `/api/budgets/${b.id}`, { limit_usd: '7', action: 'alert' });
    expect(upd.body).toMatchObject({ id: b.id, limit_usd: '7', action: 'alert' });
    expect((await call('DELETE', `/api/budgets/${b.id}`)).status).toBe(200);
    expect((await call('GET', `/api/budgets/${b.id}`)).status).toBe(404);
    const ledger = join(dir, 'ledger.duckdb');
    const h = await new BudgetBook(fileLedgerRecords(ledger)).history(b.id);
    expect(h.map((c) => [c.action, c.before?.limit_usd ?? null, c.after?.limit_usd ?? null])).toEqual([
      ['create', null, '5'],
      ['update', '5', '7'],
      ['remove', '7', null],
    ]);
  });

  it('keeps every budget of requests made at the same time, and each change to them', async () => {
    const projects = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    const made = await Promise.all(
      projects.map((project) =>
        call('POST', '/api/budgets', { scope: { project }, period: 'daily', limit_usd: '3' }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(projects.map(() => 200));
    const ids = made.map((r) => r.body.id);
    const listed = async () =>
      (await call('GET', '/api/budgets')).body.budgets
        .map((s: J) => s.budget)
        .filter((b: J) => ids.includes(b.id));
    expect((await listed()).map((b: J) => b.scope.project).sort()).toEqual(projects);
    await Promise.all(ids.map((id, i) => call('PUT', `/api/budgets/${id}`, { limit_usd: String(10 + i) })));
    expect(new Set((await listed()).map((b: J) => b.limit_usd))).toEqual(
      new Set(ids.map((_, i) => String(10 + i))),
    );
    await Promise.all(ids.map((id) => call('DELETE', `/api/budgets/${id}`)));
    expect(await listed()).toEqual([]);
  });

  it('a bad definition is a 400 naming each field; a config budget cannot be changed (409)', async () => {
    const bad = await call('POST', '/api/budgets', {
      scope: { team: 'x' },
      period: 'yearly',
      limit_usd: 'lots',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('API_BAD_PARAM');
    expect(bad.body.error.message).toMatch(
      /^the new budget: period: expected daily, weekly, monthly or rolling:Nd/,
    );
    expect(bad.body.error.message).toContain('limit_usd: expected a positive USD amount');
    const typo = await call('POST', '/api/budgets', { scope: { team: 'x' }, period: 'daily', limit: '5' });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toBe(
      'the new budget: limit_usd: required; unknown key "limit"; allowed here: name, scope, period, tz, limit_usd, thresholds, action, downgrade_to',
    );
    // JSON.parse makes "__proto__" an own key; a budget on it must be refused, not become a budget on all spend.
    const proto = await call(
      'POST',
      '/api/budgets',
      '{"scope":{"__proto__":"web"},"period":"daily","limit_usd":"5"}',
    );
    expect(proto.status).toBe(400);
    expect(proto.body.error.message).toBe(
      'the new budget: scope.__proto__: expected a scope dimension: org, team, user, project, agent, session_id, task_id, environment, api_key_id, provider, model or tag.KEY',
    );
    // The limit is kept and shown as written: exponent notation would come back as a money string never is.
    for (const limit of ['1e3', '.5', '5.'])
      expect(
        (await call('POST', '/api/budgets', { scope: { team: 'x' }, period: 'daily', limit_usd: limit })).body
          .error.message,
        limit,
      ).toBe('the new budget: limit_usd: expected a positive USD amount such as 50 or 1200.50');
    const flag = await call('POST', '/api/budgets', { scope: {}, period: 'daily', limit_usd: true });
    expect(flag.body.error.message).toBe(
      'the new budget: limit_usd: expected a positive USD amount such as 50 or 1200.50',
    );
    expect((await call('POST', '/api/budgets', '{nope')).body.error.message).toMatch(
      /request body: not JSON/,
    );
    expect((await call('POST', '/api/budgets', [])).body.error.message).toBe(
      'request body: expected an object, got a list',
    );
    const ro = await call('DELETE', '/api/budgets/web-daily');
    expect(ro.status).toBe(409);
    expect(ro.body.error.message).toContain('tokenledger.config.yaml');
    const patch = await fetch(`${base}/api/budgets/web-daily`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(patch.status).toBe(405);
    // RFC 9110 §15.5.6: a 405 names the methods the route takes.
    expect(patch.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect(((await patch.json()) as J).error.code).toBe('API_METHOD_NOT_ALLOWED');
  });

  it("viewers cannot change budgets, and a team viewer sees only its team's", async () => {
    const denied = await call(
      'POST',
      '/api/budgets',
      { scope: {}, period: 'daily', limit_usd: 1 },
      viewerWeb,
    );
    expect(denied.status).toBe(403);
    const seen = (await call('GET', '/api/budgets', undefined, viewerWeb)).body.budgets;
    expect(seen.map((s: J) => s.budget.id)).toEqual(['web-daily']);
    const daily = seen[0];
    const dayStart = T0 + 3 * DAY;
    expect(daily.spend_usd).toBe(spendOf('web', dayStart, NOW));
    const other = (await call('GET', '/api/budgets', undefined, ADMIN)).body.budgets.find(
      (s: J) => s.budget.scope.team === 'payments',
    );
    expect((await call('GET', `/api/budgets/${other.budget.id}`, undefined, viewerWeb)).status).toBe(404);
  });

  it("a team viewer sees its team's latest alerts beside its budgets, however many other teams' came since", async () => {
    const alert = (i: number, team: string) => ({
      alert: {
        id: `al_${String(i).padStart(16, '0')}`,
        created_at: new Date(NOW / 1000 - (100 - i) * 60_000).toISOString(),
        kind: 'budget_threshold',
        severity: 'warning',
        dedup_key: `budget:x:${i}`,
        title: `alert ${i}`,
        scope: { team },
      },
    });
    const lines = [alert(0, 'web'), ...Array.from({ length: 60 }, (_, i) => alert(i + 1, 'payments'))];
    await writeFile(
      alertLogPath(join(dir, 'ledger.duckdb')),
      lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
    );
    try {
      const seen = (await call('GET', '/api/budgets', undefined, viewerWeb)).body.alerts;
      expect(seen.map((a: J) => a.title)).toEqual(['alert 0']);
      const all = (await call('GET', '/api/budgets')).body.alerts;
      expect(all).toHaveLength(50);
      expect(all[0].title).toBe('alert 60');
    } finally {
      await rm(alertLogPath(join(dir, 'ledger.duckdb')));
    }
  });

  it("the overview's month shows the monthly budget whose scope is what the caller sees", async () => {
    const summary = async (token: string) => (await call('GET', '/api/summary', undefined, token)).body.month;
    expect((await summary(ADMIN)).budget_usd).toBeNull();
    await call('POST', '/api/budgets', { scope: {}, period: 'monthly', limit_usd: '1000' });
    await call('POST', '/api/budgets', { scope: { team: 'web' }, period: 'monthly', limit_usd: '120' });
    expect((await summary(ADMIN)).budget_usd).toBe('1000.000000000000');
    expect((await summary(viewerWeb)).budget_usd).toBe('120.000000000000');
  });

  it("finds the team's monthly budget also when a link gives the team's filter twice (the dashboard shows one chip)", async () => {
    const month = async (q: string) => (await call('GET', `/api/summary?${q}`)).body.month;
    expect((await month('where=team=web')).budget_usd).toBe('120.000000000000');
    expect((await month('where=team=web&where=team=web')).budget_usd).toBe('120.000000000000');
    expect((await month('where=team=web&where=team=payments')).budget_usd).toBeNull();
  });

  it("finds a model's monthly budget when the filter names the model as a console dates it, or the budget does", async () => {
    const month = async (q: string) => (await call('GET', `/api/summary?${q}`)).body.month;
    const canonical = await call('POST', '/api/budgets', {
      scope: { model: 'claude-sonnet-4-5' },
      period: 'monthly',
      limit_usd: '75',
    });
    // The filter on the dated name also matches the canonical id the ledger stores: the same events, the same budget.
    expect((await month('where=model=claude-sonnet-4-5')).budget_usd).toBe('75.000000000000');
    expect((await month('where=model=claude-sonnet-4-5-20250929')).budget_usd).toBe('75.000000000000');
    await call('DELETE', `/api/budgets/${canonical.body.id}`);
    await call('POST', '/api/budgets', {
      scope: { model: 'gpt-4o-2024-08-06' },
      period: 'monthly',
      limit_usd: '40',
    });
    expect((await month('where=model=gpt-4o-2024-08-06')).budget_usd).toBe('40.000000000000');
    expect((await month('where=model=gpt-4o')).budget_usd).toBe('40.000000000000');
    // Two models are not one model's budget.
    expect((await month('where=model=gpt-4o&where=model=claude-sonnet-4-5')).budget_usd).toBeNull();
  });

  it('documents the write routes and their bodies in the OpenAPI document', async () => {
    const doc = (await call('GET', '/api/openapi.json', undefined, null)).body;
    expect(Object.keys(doc.paths['/api/budgets'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/api/budgets/{id}'])).toEqual(
      expect.arrayContaining(['get', 'put', 'delete']),
    );
    expect(doc.paths['/api/budgets'].post.requestBody.content['application/json']).toBeDefined();
  });
});
