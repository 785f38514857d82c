import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRepoPath, demoRoi, writeDemoRepo } from './demo-repo.js';
import { readGitHistory } from './git-history.js';

/** Friday 2025-11-21 00:00 UTC, as the demo generator's tests. */
const END = Date.UTC(2025, 10, 21) * 1000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-demo-repo-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeDemoRepo', () => {
  it('writes the same commits, shas and all, for the same options, replacing what the folder held', async () => {
    const ledger = join(dir, 'ledger.duckdb');
    const repo = demoRepoPath(ledger);
    expect(demoRoi(ledger)).toBeNull();
    const opts = { seed: 7, people: 12, days: 10, end: END };
    const n = await writeDemoRepo(repo, opts);
    const first = await readGitHistory(repo);
    expect(first.changes).toHaveLength(n);
    expect(demoRoi(ledger)).toEqual({ repos: [repo], ref: 'HEAD', people: null });
    await writeFile(join(repo, 'stray.txt'), 'left from before\n');
    expect(await writeDemoRepo(repo, opts)).toBe(n);
    expect((await readGitHistory(repo)).tip).toBe(first.tip);
    expect(existsSync(join(repo, 'stray.txt'))).toBe(false);
  });

  it('writes a repository without commits for a demo of no people', async () => {
    const repo = join(dir, 'empty');
    expect(await writeDemoRepo(repo, { seed: 42, people: 0, days: 10, end: END })).toBe(0);
    expect(await readGitHistory(repo)).toMatchObject({ tip: null, changes: [] });
  });
});
