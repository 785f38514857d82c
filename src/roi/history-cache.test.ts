import { afterAll, describe, expect, it } from 'vitest';
import { readGitHistory } from './git-history.js';
import { HistoryCache } from './history-cache.js';
import { GitRepo } from './testing/git-repo.js';

const repo = new GitRepo();
const ana = { name: 'Ana', email: 'ana@acme.com' };
afterAll(() => repo.remove());

describe("the server's cache of histories", () => {
  it('reads a history again only once its branch has moved', async () => {
    let reads = 0;
    const cache = new HistoryCache((r, ref) => {
      reads++;
      return readGitHistory(r, { ref });
    });
    repo.commit(ana, '2026-10-01T10:00:00Z', { 'a.txt': 'a\n' });
    const first = await cache.get(repo.dir, 'HEAD');
    expect(await cache.get(repo.dir, 'HEAD')).toBe(first);
    expect(reads).toBe(1);
    // Requests at the same time share one read.
    repo.commit(ana, '2026-10-02T10:00:00Z', { 'b.txt': 'b\n' });
    const [x, y] = await Promise.all([cache.get(repo.dir, 'HEAD'), cache.get(repo.dir, 'HEAD')]);
    expect(x).toBe(y);
    expect(reads).toBe(2);
    expect(x.changes).toHaveLength(2);
    expect(x.tip).toBe(repo.git(ana, '2026-10-02T10:00:00Z', 'rev-parse', 'HEAD'));
  });

  it('keeps no failed read: the next request tries again', async () => {
    let fail = true;
    const cache = new HistoryCache((r, ref) => {
      if (fail) return Promise.reject(new Error('git failed'));
      return readGitHistory(r, { ref });
    });
    await expect(cache.get(repo.dir, 'HEAD')).rejects.toThrow('git failed');
    fail = false;
    expect((await cache.get(repo.dir, 'HEAD')).changes.length).toBeGreaterThan(0);
  });
});
