import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId } from '../../src/ledger/event-id.js';
import { formatUsd } from '../../src/money/money.js';
import { GitRepo } from '../../src/roi/testing/git-repo.js';
import { makeEvent } from '../../src/store/testing/event-factory.js';
import { type Harness, startHarness } from '../gateway/helpers.js';

// The whole path: calls metered by the gateway for two people (their user header), their commits in a repository the
// config's `roi:` names, and GET /api/roi joining the two. The repository sits beside the config, named relatively.
const ADMIN = 'admin-token-for-roi';
const ana = { name: 'Ana', email: 'ana@acme.com' };
const bo = { name: 'Bo', email: 'bo@acme.com' };
let dir: string;
let repo: GitRepo;
let h: Harness;

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
const utcDate = (d: Date) => [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()] as const;

beforeAll(async () => {
  repo = new GitRepo();
  repo.commit(ana, daysAgo(40), { 'a.txt': 'one\ntwo\n' });
  repo.commit(ana, daysAgo(30), { 'a2.txt': 'three\n' });
  repo.commit(bo, daysAgo(20), { 'b.txt': 'four\n' });
  dir = await mkdtemp(join(tmpdir(), 'tl-roi-api-'));
  await writeFile(join(dir, 'people.yaml'), 'bo:\n  emails: [bo@acme.com]\n  users: [bo-login]\n');
  const config = join(dir, 'tokenledger.config.yaml');
  await writeFile(config, `roi:\n  repos: [${JSON.stringify(repo.dir)}]\n  people: people.yaml\n`);
  h = await startHarness({ TOKENLEDGER_ADMIN_TOKEN: ADMIN }, config);
  const call = (user: string) =>
    new OpenAI({
      apiKey: 'sk-caller-own-key',
      baseURL: `${h.server.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-tokenledger-user': user },
    }).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
  await call('ana@acme.com');
  await call('ana@acme.com');
  await call('bo-login');
  await h.server.wal.drain();
});
afterAll(async () => {
  await h.close();
  repo.remove();
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON whose shape the assertions check
type J = any;

const get = (path: string, token: string | null = ADMIN) =>
  fetch(h.server.url + path, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

describe('GET /api/roi', () => {
  it("joins each person's metered spend to their commits in the config's repositories", async () => {
    const r = await get('/api/roi?since=90d');
    expect(r.status).toBe(200);
    const roi: J = await r.json();
    const spent = await h.server.store.query({ dimensions: ['user'] });
    const of = (user: string) => formatUsd(spent.rows.find((x) => x.dims.user === user)!.cost_usd);
    expect(
      roi.people.map((p: { person: string; spend_usd: string; changes: number }) => [
        p.person,
        p.spend_usd,
        p.changes,
      ]),
    ).toEqual([
      ['ana@acme.com', of('ana@acme.com'), 2],
      ['bo', of('bo-login'), 1],
    ]);
    expect(roi.repos).toEqual([{ repo: repo.dir, ref: 'HEAD', changes: 3, skipped_files: 0 }]);
  });

  it("defaults to the quarter, from the ledger's first day with calls where that is later", async () => {
    // The ledger's calls are all today's: weeks of commits before them would stand beside no recorded spend.
    const today: J = await (await get('/api/roi')).json();
    const midnight = new Date(Date.UTC(...utcDate(new Date()))).toISOString();
    expect(today.since).toBe(midnight);
    // Ana's commits are all before it, so git does not know her in it; Bo, named in the people file, is counted.
    expect(today.people.map((p: { person: string; changes: number }) => [p.person, p.changes])).toEqual([
      ['bo', 0],
    ]);
    expect(today.unmatched.users).toEqual(['ana@acme.com']);
    expect(today.within_person.periods).toEqual([]);
    // A call of 100 days ago: the ledger began before the quarter, so the window is the 90 days before today from
    // 00:00 UTC (whole days, which the daily sums answer where a raw retention kept only those), cut into three
    // periods of whole days.
    const old = Date.now() * 1000 - 100 * 86_400_000_000;
    await h.server.store.append([
      makeEvent(1, { ts: old, user: 'ana@acme.com', event_id: eventId('test', 'old') }),
    ]);
    const roi: J = await (await get('/api/roi')).json();
    expect(roi.since).toMatch(/T00:00:00\.000Z$/);
    const days = (Date.parse(roi.until) - Date.parse(roi.since)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(90);
    expect(days).toBeLessThan(91);
    expect(roi.people.map((p: { changes: number }) => p.changes)).toEqual([2, 1]);
    expect(roi.within_person.periods).toHaveLength(3);
    for (const p of roi.within_person.periods.slice(0, 2)) expect(p.until).toMatch(/T00:00:00\.000Z$/);
  });

  it('needs an admin token: it names people and their output', async () => {
    expect((await get('/api/roi', null)).status).toBe(401);
  });

  it('takes the range and filters the other routes take, and refuses a bad one with a 400', async () => {
    const none: J = await (await get('/api/roi?where=user%3Dnobody')).json();
    expect(none.tiers.map((t: { tier: string }) => t.tier)).toEqual(['none']);
    const bad = await get('/api/roi?since=yesterday-ish');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as J).error.code).toBe('API_BAD_PARAM');
  });
});

describe('GET /api/roi without `roi:` in the config', () => {
  it('is a 404 that says what to set', async () => {
    const plain = await startHarness({ TOKENLEDGER_ADMIN_TOKEN: ADMIN });
    try {
      const r = await fetch(`${plain.server.url}/api/roi`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(404);
      expect(((await r.json()) as J).error.message).toContain(
        'set `roi: { repos: [...] }` in the config file',
      );
    } finally {
      await plain.close();
    }
  });
});
