import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStaticHandler, PAGES } from './static.js';

let dir: string;
let server: Server;
let base: string;
const js = `console.log(${JSON.stringify('x'.repeat(4000))});`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-static-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><p>app</p>');
  await writeFile(join(dir, 'assets', 'app-1.js'), js);
  await writeFile(join(dir, '..', 'secret.txt'), 'no');
  // A link planted in the folder (a build step, a careless copy) to a file outside it.
  await symlink(join(dir, '..', 'secret.txt'), join(dir, 'assets', 'linked.txt'));
  const handle = createStaticHandler(dir);
  server = createServer((req, res) => {
    if (!handle(req, res, (req.url ?? '/').split('?')[0]!)) res.writeHead(404).end('nope');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
  await rm(join(dir, '..', 'secret.txt'), { force: true });
});

it('serves index.html for the dashboard pages and 404s everything else it does not hold', async () => {
  for (const p of ['/', '/explore?dims=team', '/events'])
    expect(await (await fetch(base + p)).text()).toContain('app');
  expect((await fetch(`${base}/etc/passwd`)).status).toBe(404);
  expect((await fetch(`${base}/api/summary`)).status).toBe(404);
  expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(404);
});

it("knows every page of the dashboard's navigation, so a link to one opened anew is not a 404", async () => {
  const nav = readFileSync('web/src/main.tsx', 'utf8');
  const linked = [...nav.slice(nav.indexOf('const PAGES')).matchAll(/^ {2}\['(\/[a-z]*)', '/gm)].map(
    (m) => m[1],
  );
  expect(linked.length).toBeGreaterThan(4);
  expect([...PAGES].sort()).toEqual([...linked].sort());
});

it('never serves a file outside its folder', async () => {
  // A raw request: fetch would normalise the dots away.
  const r = await new Promise<number>((resolve) =>
    rawGet(`${base}/assets/%2e%2e/%2e%2e/secret.txt`, resolve),
  );
  expect(r).toBe(404);
  expect((await fetch(`${base}/assets/linked.txt`)).status).toBe(404);
});

it('forbids every page to show the dashboard in a frame (clickjacking of its budget buttons)', async () => {
  for (const p of ['/', '/budgets', '/assets/app-1.js']) {
    const r = await fetch(base + p);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
  }
});

it('gzips text assets and caches hashed ones for a year', async () => {
  const { request } = await import('node:http');
  const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
    request(`${base}/assets/app-1.js`, { headers: { 'accept-encoding': 'gzip' } }, resolve).end(),
  );
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  expect(res.headers['content-encoding']).toBe('gzip');
  expect(res.headers['cache-control']).toContain('immutable');
  expect(gunzipSync(Buffer.concat(chunks)).toString()).toBe(js);
});

function rawGet(url: string, done: (status: number) => void): void {
  import('node:http').then(({ request }) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path: url.slice(url.indexOf('/assets')) }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    }).end();
  });
}
