import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetBook } from '../../budgets/book/budget-book.js';
import { createDuckDbStore } from '../../store/duckdb/duckdb-store.js';
import type { Store } from '../../store/store.js';
import { fileLedgerRecords } from '../ledger-records.js';
import { type Api, createApi } from './api.js';

const ADMIN = 'server-admin-token-for-cross-site-tests';
let dir: string;
let store: Store;
let api: Api;
let book: BudgetBook;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-api-xsite-'));
  const ledgerPath = join(dir, 'ledger.duckdb');
  store = await createDuckDbStore(ledgerPath);
  const records = fileLedgerRecords(ledgerPath);
  book = new BudgetBook(records);
  api = createApi({ store, ledgerPath, records, adminToken: ADMIN, budgets: book });
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

/** The dashboard's session cookie, as a browser holds it after the login link. */
async function sessionCookie(): Promise<string> {
  const r = await fetch(api.loginLink(base), { redirect: 'manual' });
  return r.headers.get('set-cookie')!.split(';')[0]!;
}

/**
 * What a page of another origin makes the browser send: a "simple" POST (text/plain, no preflight) carrying the
 * session cookie. SameSite=Strict does not stop it when the page is on the same site, which for 127.0.0.1 is any
 * other port of it (a dev server, a notebook, anything a user opens locally).
 */
function postFrom(origin: string | null, cookie: string, body: unknown) {
  return fetch(`${base}/api/budgets`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'text/plain', ...(origin === null ? {} : { origin }) },
    body: JSON.stringify(body),
  });
}

const BLOCK_ALL = { scope: {}, period: 'daily', limit_usd: '0.000000000001', action: 'block' };

describe('a change made with the dashboard session cookie', () => {
  it('is refused when the browser says another origin sent it, and nothing changes', async () => {
    const cookie = await sessionCookie();
    for (const origin of ['http://127.0.0.1:5173', 'http://evil.example', 'null']) {
      const r = await postFrom(origin, cookie, BLOCK_ALL);
      expect(r.status).toBe(403);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('API_FORBIDDEN');
      expect(error.message).toMatch(/origin/);
    }
    expect(book.all().filter((b) => b.origin === 'api')).toEqual([]);
    // A cross-site page cannot sign the dashboard out either.
    const out = await fetch(`${base}/api/logout`, {
      method: 'POST',
      headers: { cookie, origin: 'http://127.0.0.1:5173' },
    });
    expect(out.status).toBe(403);
    expect((await fetch(`${base}/api/me`, { headers: { cookie } })).status).toBe(200);
  });

  it("goes through from the dashboard's own origin, and from clients that send no Origin", async () => {
    const cookie = await sessionCookie();
    const own = await postFrom(base, cookie, { ...BLOCK_ALL, scope: { team: 'own' } });
    expect(own.status).toBe(200);
    const cli = await postFrom(null, cookie, { ...BLOCK_ALL, scope: { team: 'cli' } });
    expect(cli.status).toBe(200);
    // Behind a TLS proxy that sends its own Host and the browser's in X-Forwarded-Host.
    const proxied = await fetch(`${base}/api/budgets`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'application/json',
        origin: 'https://ledger.example.com',
        'x-forwarded-host': 'ledger.example.com',
      },
      body: JSON.stringify({ ...BLOCK_ALL, scope: { team: 'proxied' } }),
    });
    expect(proxied.status).toBe(200);
  });

  it('a bearer token is not a browser credential: its requests are taken from any origin', async () => {
    const r = await fetch(`${base}/api/budgets`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/json',
        origin: 'http://127.0.0.1:5173',
      },
      body: JSON.stringify({ ...BLOCK_ALL, scope: { team: 'bearer' } }),
    });
    expect(r.status).toBe(200);
  });
});
