import { afterAll, describe, expect, it } from 'vitest';
import { matchSquashes, readGitLine } from './git-history.js';
import { HistoryCache, type HistoryReader } from './history-cache.js';
import { GitRepo } from './testing/git-repo.js';

const ana = { name: 'Ana', email: 'ana@acme.com' };
const repos: GitRepo[] = [];
afterAll(() => {
  for (const r of repos) r.remove();
});

/** The real reads, counted. */
function counted(): HistoryReader & { lineReads: number; matches: number } {
  const reader = {
    lineReads: 0,
    matches: 0,
    line: (repo: string, ref: string) => {
      reader.lineReads++;
      return readGitLine(repo, { ref });
    },
    squashes: (line: Parameters<typeof matchSquashes>[0]) => {
      reader.matches++;
      return matchSquashes(line);
    },
  };
  return reader;
}

function newRepo(): GitRepo {
  const r = new GitRepo();
  repos.push(r);
  return r;
}

describe("the server's cache of histories", () => {
  it('reads a history again only once its branch has moved', async () => {
    const repo = newRepo();
    const reader = counted();
    const cache = new HistoryCache(reader);
    repo.commit(ana, '2026-10-01T10:00:00Z', { 'a.txt': 'a\n' });
    const first = await cache.get(repo.dir, 'HEAD');
    expect(await cache.get(repo.dir, 'HEAD')).toBe(first);
    expect(reader.lineReads).toBe(1);
    // Requests at the same time share one read.
    repo.commit(ana, '2026-10-02T10:00:00Z', { 'b.txt': 'b\n' });
    const [x, y] = await Promise.all([cache.get(repo.dir, 'HEAD'), cache.get(repo.dir, 'HEAD')]);
    expect(x).toBe(y);
    expect(reader.lineReads).toBe(2);
    expect(x.changes).toHaveLength(2);
    expect(x.tip).toBe(repo.git(ana, '2026-10-02T10:00:00Z', 'rev-parse', 'HEAD'));
  });

  it('matches squash merges again, without reading the line, once the branches change', async () => {
    const repo = newRepo();
    repo.commit(ana, '2026-10-01T10:00:00Z', { 'a.txt': 'a\n' });
    repo.git(ana, '2026-10-01T10:00:00Z', 'checkout', '-q', '-b', 'feat/login');
    const branchTip = repo.commit(ana, '2026-10-02T10:00:00Z', { 'login.txt': 'login\n' });
    repo.git(ana, '2026-10-03T10:00:00Z', 'checkout', '-q', 'main');
    repo.git(ana, '2026-10-03T10:00:00Z', 'merge', '-q', '--squash', 'feat/login');
    repo.git(ana, '2026-10-03T10:00:00Z', 'commit', '-q', '-m', 'Log in (#1)');
    // The squash landed before this clone had the branch: a branch deleted here, fetched again later.
    repo.git(ana, '2026-10-03T10:00:00Z', 'branch', '-D', 'feat/login');
    const reader = counted();
    const cache = new HistoryCache(reader);
    const branches = async () => (await cache.get(repo.dir, 'HEAD')).changes.map((c) => c.branch);
    expect(await branches()).toEqual([null, null]);
    repo.git(ana, '2026-10-04T10:00:00Z', 'branch', 'feat/login', branchTip);
    expect(await branches()).toEqual([null, 'feat/login']);
    expect(await branches()).toEqual([null, 'feat/login']);
    expect([reader.lineReads, reader.matches]).toEqual([1, 2]);
    // The line kept is not changed by a match: the branch gone again, the squash is unmatched again.
    repo.git(ana, '2026-10-05T10:00:00Z', 'branch', '-D', 'feat/login');
    expect(await branches()).toEqual([null, null]);
    expect([reader.lineReads, reader.matches]).toEqual([1, 3]);
  });

  it('keeps no failed read: the next request tries again', async () => {
    const repo = newRepo();
    repo.commit(ana, '2026-10-01T10:00:00Z', { 'a.txt': 'a\n' });
    let fail = true;
    const cache = new HistoryCache({
      line: (r, ref) => (fail ? Promise.reject(new Error('git failed')) : readGitLine(r, { ref })),
      squashes: matchSquashes,
    });
    await expect(cache.get(repo.dir, 'HEAD')).rejects.toThrow('git failed');
    fail = false;
    expect((await cache.get(repo.dir, 'HEAD')).changes.length).toBeGreaterThan(0);
  });
});
