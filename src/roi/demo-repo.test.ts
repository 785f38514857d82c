import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAMS } from '../sources/demo/org.js';
import { demoRepoPath, demoRoi, writeDemoRepo } from './demo-repo.js';
import { readGitHistory } from './git-history.js';

/** Friday 2025-11-21 00:00 UTC, as the demo generator's tests. */
const END = Date.UTC(2025, 10, 21) * 1000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-demo-repo-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const tips = async (repos: readonly string[]) =>
  Promise.all(repos.map(async (r) => (await readGitHistory(r)).tip));

describe('writeDemoRepo', () => {
  it('writes a repository a project, the same shas for the same options, replacing what the folder held', async () => {
    const ledger = join(dir, 'ledger.duckdb');
    const folder = demoRepoPath(ledger);
    expect(demoRoi(ledger)).toBeNull();
    const opts = { seed: 7, people: 12, days: 10, end: END };
    const n = await writeDemoRepo(folder, opts);
    const roi = demoRoi(ledger)!;
    const projects = TEAMS.flatMap((t) => t.projects).sort();
    expect(roi).toEqual({ repos: projects.map((p) => join(folder, p)), ref: 'HEAD', people: null });
    const histories = await Promise.all(roi.repos.map((r) => readGitHistory(r)));
    expect(histories.reduce((sum, h) => sum + h.changes.length, 0)).toBe(n);
    // A change made on a branch is on the line as its merge, which names the branch.
    expect(histories.flatMap((h) => h.changes).filter((c) => c.branch !== null).length).toBeGreaterThan(0);
    const first = await tips(roi.repos);
    await mkdir(join(folder, 'stray'));
    await writeFile(join(folder, 'stray', 'left.txt'), 'left from before\n');
    expect(await writeDemoRepo(folder, opts)).toBe(n);
    expect(await tips(roi.repos)).toEqual(first);
    expect(existsSync(join(folder, 'stray'))).toBe(false);
  });

  it('writes no repository for a demo of no people', async () => {
    const ledger = join(dir, 'empty.duckdb');
    expect(await writeDemoRepo(demoRepoPath(ledger), { seed: 42, people: 0, days: 10, end: END })).toBe(0);
    expect(demoRoi(ledger)).toBeNull();
  });
});
