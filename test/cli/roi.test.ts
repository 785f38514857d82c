import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/roi/testing/git-repo.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { CARDS, makeEvent } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

const ana = { name: 'Ana', email: 'ana@acme.com' };
const bo = { name: 'Bo', email: 'bo@acme.com' };
const carla = { name: 'Carla', email: 'carla@acme.com' };
const dan = { name: 'Dan', email: 'dan@acme.com' };
/** `n` numbered lines, each ending in a newline. */
const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
const bot = { name: 'dependabot[bot]', email: '49699333+dependabot[bot]@users.noreply.github.com' };

// October 2026 in one repository and one ledger. Spend is input tokens of claude-sonnet-4-5 at $3 per 1M:
// ana $21, bo $60, carla $3,000, dan nothing; eve $9 but no commits; $3 of calls with no user.
let repo: GitRepo;
let db: string;
let dir: string;
beforeAll(async () => {
  repo = new GitRepo();
  repo.commit(ana, '2026-09-20T10:00:00Z', { 'README.md': lines(5) }, 'before the window');
  repo.commit(ana, '2026-10-02T10:00:00Z', { 'a.txt': lines(10) });
  repo.commit(ana, '2026-10-03T10:00:00Z', { 'a2.txt': lines(4) });
  repo.commit(ana, '2026-10-04T10:00:00Z', { 'a3.txt': lines(6) });
  repo.commit(bo, '2026-10-05T10:00:00Z', { 'b.txt': lines(10) });
  const bad = repo.commit(bo, '2026-10-06T10:00:00Z', { 'b2.txt': lines(3) });
  repo.commit(bo, '2026-10-07T10:00:00Z', { 'b3.txt': lines(3) });
  // Carla rewrites 4 of bo's 10 lines three days after he wrote them, and reverts his b2.txt (3 lines): 7 lines of
  // his are rework.
  const b = lines(10).split('\n');
  for (const i of [2, 3, 4, 5]) b[i] = `rewritten ${i}`;
  repo.commit(carla, '2026-10-08T10:00:00Z', { 'b.txt': b.join('\n') });
  repo.git(carla, '2026-10-09T10:00:00Z', 'revert', '--no-edit', bad);
  repo.commit(carla, '2026-10-10T10:00:00Z', { 'c.txt': lines(50) });
  repo.commit(bot, '2026-10-11T10:00:00Z', { 'package.json': '{}\n' });
  repo.commit(dan, '2026-10-20T10:00:00Z', { 'd.txt': lines(2) });
  // A pull request of ana's, merged by bo with a merge commit: its branch is where her agent's $21 of calls were made.
  repo.git(ana, '2026-10-24T10:00:00Z', 'checkout', '-q', '-b', 'feat/login');
  repo.commit(ana, '2026-10-24T10:00:00Z', { 'login.txt': lines(5) });
  repo.git(ana, '2026-10-25T10:00:00Z', 'checkout', '-q', 'main');
  repo.git(
    bo,
    '2026-10-25T10:00:00Z',
    'merge',
    '-q',
    '--no-ff',
    '-m',
    'Merge pull request #7 from ana/feat/login',
    'feat/login',
  );
  repo.commit(dan, '2026-10-30T10:00:00Z', { 'd2.txt': lines(2) });

  dir = mkdtempSync(join(tmpdir(), 'tl-roi-'));
  db = join(dir, 'ledger.duckdb');
  const store = await createDuckDbStore(db);
  const oct = Date.UTC(2026, 9, 15) * 1000;
  const spend = (n: number, user: string | null, millions: number) =>
    makeEvent(n, {
      user,
      ts: oct + n * 1_000_000,
      input_tokens: millions * 1_000_000,
      cache_read_tokens: 0,
      output_tokens: 0,
      rates: CARDS.sonnet,
    });
  await store.append([
    { ...spend(1, 'ana@acme.com', 7), project: 'repo', tags: { git_branch: 'feat/login' } },
    spend(2, 'BO@acme.com', 12),
    spend(3, 'bo@acme.com', 8),
    spend(4, 'carla@acme.com', 1000),
    spend(5, 'eve', 3),
    spend(6, null, 1),
    // Outside the window: not counted.
    makeEvent(7, { user: 'dan@acme.com', ts: Date.UTC(2026, 8, 1) * 1000, rates: CARDS.sonnet }),
  ]);
  await store.close();
});
afterAll(() => repo.remove());

const window = ['--since', '2026-10-01', '--until', '2026-11-01'];

describe('tokenledger roi', () => {
  it("puts each person's exact spend beside their shipped, reverted and reworked work", async () => {
    const r = await runCli(['roi', '--db', db, '--repo', repo.dir, ...window, '--format', 'json']);
    expect(r.stderr).toBe('');
    const roi = JSON.parse(r.stdout);
    expect(roi.repos).toEqual([{ repo: repo.dir, ref: 'HEAD', changes: 13, skipped_files: 0 }]);
    const people = Object.fromEntries(roi.people.map((p: { person: string }) => [p.person, p]));
    expect(Object.keys(people)).toEqual(['carla@acme.com', 'bo@acme.com', 'ana@acme.com', 'dan@acme.com']);
    expect(people['ana@acme.com']).toMatchObject({ tier: 'light', spend_usd: '21.000000000000', changes: 4 });
    expect(people['bo@acme.com']).toMatchObject({
      tier: 'moderate',
      spend_usd: '60.000000000000',
      changes: 3,
      shipped: 2,
      reverted: 1,
      lines_added: 16,
      settled_lines: 16,
      reworked_lines: 7,
    });
    expect(people['carla@acme.com']).toMatchObject({ tier: 'extreme', changes: 3, shipped: 2, reverts: 1 });
    expect(people['dan@acme.com']).toMatchObject({ tier: 'none', spend_usd: '0.000000000000', shipped: 2 });
    expect(roi.median_spend_usd).toBe('60.000000000000');
    expect(roi.unmatched).toEqual({ users: ['eve'], cost_usd: '9.000000000000', unpriced_events: 0 });
    expect(roi.unattributed).toEqual({ cost_usd: '3.000000000000', events: 1 });
    expect(roi.bot_changes).toBe(1);
    expect(roi.tiers.map((t: { tier: string; people: number }) => [t.tier, t.people])).toEqual([
      ['none', 1],
      ['light', 1],
      ['moderate', 1],
      ['extreme', 1],
    ]);
    // bo: $60 over his 2 shipped changes.
    expect(roi.tiers[2].cost_per_shipped_usd).toBe('30.000000000000');
    // light → moderate: two shipped changes fewer for $39 more.
    expect(roi.steps[1]).toMatchObject({ from: 'light', to: 'moderate', interval_90: null });
    expect(roi.steps[1].shipped_per_100_usd).toBeCloseTo(-200 / 39, 9);
    // ana's pull request, merged by bo, is hers; the $21 her agent spent on its branch is behind it.
    expect(roi.spend_behind_merges).toMatchObject({
      merges: 1,
      total_usd: '21.000000000000',
      reverted_usd: '0.000000000000',
      median_usd: '21.000000000000',
      spent: [{ branch: 'feat/login', name: 'Ana', merged_at: '2026-10-25T10:00:00.000Z', events: 1 }],
    });
  });

  it('prints the tiers, the steps between them and what it left out', async () => {
    const r = await runCli(['roi', '--db', db, '--repo', repo.dir, ...window]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('2026-10-01 – 2026-11-01 (4.4 weeks): 4 people, 13 changes in');
    expect(out).toMatch(
      /\ntier +people +spend +share +per person +shipped\/wk +lines\/wk +rework +reverted +cost\/shipped\n/,
    );
    expect(out).toMatch(/\nmoderate +1 +\$60\.00 +1\.9% +\$60\.00 +0\.45 +4 +43\.8% +33\.3% +\$30\.00\n/);
    expect(out).toMatch(/\nlight → moderate +-5\.13 +\(too few people\)\n/);
    expect(out).toContain('left out: $9.00 of 1 ledger user git does not know (eve)');
    expect(out).toContain('left out: $3.00 of calls attributed to no user');
    expect(out).toContain('left out: 1 change by bots');
    expect(out).toContain('The same people across periods: the window is under 56 days');
    expect(out).toContain(
      'Agent calls on merged branches (same project and git_branch, up to 30 days before the merge): 1 of 1 merge ' +
        'had calls on their branch, $21.00 in all, median $21.00; $0.00 behind merges later reverted',
    );
    expect(out).toMatch(/\n2026-10-25 +[0-9a-f]{9} +feat\/login +Ana +\$21\.00 +1 call\n/);
  });

  it('compares the same people across the periods of a longer window', async () => {
    const args = ['roi', '--db', db, '--repo', repo.dir, '--since', '2026-09-01', '--until', '2026-11-01'];
    const r = await runCli(args);
    // September: dan's one call; October: everyone else's. Four people's spend changed between the two halves.
    const said = 'The same people across 2 periods of 30–31 days, 4 people whose spend changed:\n  ';
    expect(r.stdout).toMatch(
      new RegExp(`\\n${said}[-+]\\d+\\.\\d\\d shipped changes in a period they spend`),
    );
    const json = JSON.parse((await runCli([...args, '--format', 'json'])).stdout);
    expect(json.within_person.periods).toEqual([
      { since: '2026-09-01T00:00:00.000Z', until: '2026-10-01T00:00:00.000Z' },
      { since: '2026-10-01T00:00:00.000Z', until: '2026-11-01T00:00:00.000Z' },
    ]);
    expect(json.within_person.people).toBe(4);
  });

  it('a people file joins a ledger login to its git author', async () => {
    const people = join(dir, 'people.yaml');
    writeFileSync(people, 'dan:\n  emails: [dan@acme.com]\n  users: [eve]\n');
    const r = await runCli([
      'roi',
      '--db',
      db,
      '--repo',
      repo.dir,
      ...window,
      '--people',
      people,
      '--format',
      'json',
    ]);
    const roi = JSON.parse(r.stdout);
    expect(roi.unmatched.users).toEqual([]);
    expect(roi.people.find((p: { person: string }) => p.person === 'dan')).toMatchObject({
      spend_usd: '9.000000000000',
      shipped: 2,
    });
  });

  it("on one's own machine, joins the login agent logs are imported under to the email git commits with", async () => {
    const mine = new GitRepo();
    const me = { name: 'Me', email: 'me@home.net' };
    try {
      mine.commit(me, '2026-10-10T10:00:00Z', { 'a.txt': lines(3) });
      mine.git(me, '2026-10-10T10:00:00Z', 'config', 'user.email', 'Me@Home.net');
      const own = join(dir, 'own.duckdb');
      const store = await createDuckDbStore(own);
      const call = {
        user: userInfo().username,
        input_tokens: 1_000_000,
        cache_read_tokens: 0,
        output_tokens: 0,
      };
      await store.append([makeEvent(1, { ...call, ts: Date.UTC(2026, 9, 9) * 1000, rates: CARDS.sonnet })]);
      await store.close();
      const r = await runCli(['roi', '--db', own, '--repo', mine.dir, ...window, '--format', 'json']);
      const roi = JSON.parse(r.stdout);
      expect(roi.people.map((p: { person: string; spend_usd: string }) => [p.person, p.spend_usd])).toEqual([
        ['me@home.net', '3.000000000000'],
      ]);
      expect(roi.unmatched.users).toEqual([]);
    } finally {
      mine.remove();
    }
  });

  it('says what is wrong with a folder that is not a repository, and with a people file', async () => {
    const notRepo = await runCli(['roi', '--db', db, '--repo', dir, ...window]);
    expect(notRepo.code).not.toBe(0);
    expect(notRepo.stderr).toContain('ROI_BAD_REPO');
    expect(notRepo.stderr).toContain(dir);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'ana:\n  mails: [a@b.c]\n');
    const badPeople = await runCli(['roi', '--db', db, '--repo', repo.dir, '--people', bad]);
    expect(badPeople.stderr).toContain(`${bad}:2: ana: unknown key "mails"`);
    const future = await runCli(['roi', '--db', db, '--repo', repo.dir, '--since', '2099-01-01']);
    expect(future.stderr).toContain('CLI_BAD_OPTION');
    expect(future.stderr).toContain('--since "2099-01-01" is not before now');
  });
});
