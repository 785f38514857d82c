import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRepoPath, demoRoi } from '../../src/roi/demo-repo.js';
import { readGitHistory } from '../../src/roi/git-history.js';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { runCli } from '../helpers/run-cli.js';

// `tokenledger demo` writes the demo organisation's repositories beside its ledger, and a server on that ledger whose
// config names no repositories reads them on the ROI page: `npm start` shows every page with something in it.
const ADMIN = 'admin-token-for-demo-roi';
let dir: string;
let db: string;
let stdout: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-demo-roi-'));
  db = join(dir, 'ledger.duckdb');
  const r = await runCli(['demo', '--db', db, '--people', '40', '--days', '21']);
  expect(r.code).toBe(0);
  stdout = r.stdout;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function serve(ledgerPath: string) {
  return startServer({
    ledgerPath,
    configPath: null,
    port: 0,
    cwd: dir,
    env: { TOKENLEDGER_ADMIN_TOKEN: ADMIN },
    openStore: (p) => createDuckDbStore(p),
    log: () => {},
  });
}

describe("the demo's repositories", () => {
  it('are written beside the ledger, every change on a line, each revert naming the change it reverts', async () => {
    const folder = demoRepoPath(db);
    expect(folder).toBe(join(dir, 'ledger.demo-repo'));
    const said = /demo repositories: ([\d,]+) changes at (.+) in [\d.]+ s/.exec(stdout);
    expect(said?.[2]).toBe(folder);
    const histories = await Promise.all(demoRoi(db)!.repos.map((r) => readGitHistory(r)));
    expect(histories.reduce((n, h) => n + h.changes.length, 0)).toBe(Number(said![1]!.replace(/,/g, '')));
    let reverts = 0;
    for (const h of histories)
      h.changes.forEach((c, i) => {
        if (c.reverts === null) return;
        reverts++;
        expect([c.reverts, h.changes[i - 1]!.reverted]).toEqual([h.changes[i - 1]!.sha, true]);
      });
    expect(reverts).toBeGreaterThan(0);
  });

  it("are what the ROI page reads on the demo's ledger, and not on another ledger of the same folder", async () => {
    const server = await serve(db);
    try {
      const r = await fetch(`${server.url}/api/roi`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(200);
      const roi = (await r.json()) as {
        repos: { repo: string }[];
        tiers: { tier: string; people: number }[];
        spend_behind_merges: { spent: { branch: string; events: number }[] };
      };
      expect(roi.repos.map((x) => x.repo)).toEqual(demoRoi(db)!.repos);
      // Engineers who use no agent are the baseline; the people who spend are joined by their email.
      expect(roi.tiers[0]).toMatchObject({ tier: 'none' });
      expect(roi.tiers[0]!.people).toBeGreaterThan(0);
      expect(roi.tiers.reduce((n, t) => n + t.people, 0)).toBeGreaterThan(30);
      // The pull requests' branches are those the agents' calls were made on.
      expect(roi.spend_behind_merges.spent.length).toBeGreaterThan(0);
      for (const m of roi.spend_behind_merges.spent) {
        expect(m.branch).toMatch(/^[a-z]+-\d+$/);
        expect(m.events).toBeGreaterThan(0);
      }
    } finally {
      await server.close();
    }
    const other = await serve(join(dir, 'other.duckdb'));
    try {
      const r = await fetch(`${other.url}/api/roi`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(404);
    } finally {
      await other.close();
    }
  });

  it("are what `tokenledger roi` reads on the demo's ledger, in a folder that is no repository", async () => {
    const here = process.cwd();
    process.chdir(dir);
    try {
      const r = await runCli(['roi', '--db', db, '--format', 'json']);
      expect(r.code).toBe(0);
      const repos = JSON.parse(r.stdout).repos.map((x: { repo: string }) => x.repo);
      expect(repos).toEqual(demoRoi(db)!.repos.map((p) => relative(dir, p)));
    } finally {
      process.chdir(here);
    }
  });
});
