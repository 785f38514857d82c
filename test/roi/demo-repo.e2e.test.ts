import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRepoPath } from '../../src/roi/demo-repo.js';
import { readGitHistory } from '../../src/roi/git-history.js';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { runCli } from '../helpers/run-cli.js';

// `tokenledger demo` writes the demo organisation's repository beside its ledger, and a server on that ledger whose
// config names no repositories reads it on the ROI page: `npm start` shows every page with something in it.
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

describe("the demo's repository", () => {
  it('is written beside the ledger, every commit on its line, each revert naming the change it reverts', async () => {
    const repo = demoRepoPath(db);
    expect(repo).toBe(join(dir, 'ledger.demo-repo'));
    const said = /demo repository: ([\d,]+) commits at (.+) in [\d.]+ s/.exec(stdout);
    expect(said?.[2]).toBe(repo);
    const h = await readGitHistory(repo);
    expect(h.changes).toHaveLength(Number(said![1]!.replace(/,/g, '')));
    const reverts = h.changes.filter((c) => c.reverts !== null);
    expect(reverts.length).toBeGreaterThan(0);
    for (const r of reverts) {
      const i = h.changes.indexOf(r);
      expect([r.reverts, h.changes[i - 1]!.reverted]).toEqual([h.changes[i - 1]!.sha, true]);
    }
  });

  it("is what the ROI page reads on the demo's ledger, and not on another ledger of the same folder", async () => {
    const server = await serve(db);
    try {
      const r = await fetch(`${server.url}/api/roi`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(200);
      const roi = (await r.json()) as {
        repos: { repo: string; changes: number }[];
        tiers: { tier: string; people: number }[];
        unmatched: { users: string[] };
      };
      expect(roi.repos.map((x) => x.repo)).toEqual([demoRepoPath(db)]);
      // Engineers who use no agent are the baseline; the people who spend are joined by their email.
      expect(roi.tiers[0]).toMatchObject({ tier: 'none' });
      expect(roi.tiers[0]!.people).toBeGreaterThan(0);
      expect(roi.tiers.reduce((n, t) => n + t.people, 0)).toBeGreaterThan(30);
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

  it("is what `tokenledger roi` says to read, run on the demo's ledger in a folder that is no repository", async () => {
    const here = process.cwd();
    process.chdir(dir);
    try {
      const r = await runCli(['roi', '--db', db]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("to read the demo's repository: tokenledger roi --repo ledger.demo-repo");
      const told = await runCli(['roi', '--db', db, '--repo', 'ledger.demo-repo', '--format', 'json']);
      expect(told.code).toBe(0);
      expect(JSON.parse(told.stdout).repos.map((x: { repo: string }) => x.repo)).toEqual([
        'ledger.demo-repo',
      ]);
    } finally {
      process.chdir(here);
    }
  });
});
