import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenledgerError } from '../errors.js';
import { applyHunks, createLineReplay, type GitChange, REWORK_DAYS, readGitHistory } from './git-history.js';
import { type Author, GitRepo } from './testing/git-repo.js';

// Every repository is real: git writes it, git log is parsed. Author and committer dates are fixed, so shas and
// results are the same on every run.
const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z
const DAY = 86_400;
const us = (day: number) => (T0 + day * DAY) * 1_000_000;

const repos: GitRepo[] = [];
const temps: string[] = [];
afterAll(() => {
  for (const r of repos) r.remove();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A repository whose dates are days after T0. */
class Repo {
  private readonly repo = new GitRepo();
  readonly dir = this.repo.dir;
  constructor() {
    repos.push(this.repo);
  }
  git(who: Author, day: number, ...args: string[]): string {
    return this.repo.git(who, `@${T0 + day * DAY} +0000`, ...args);
  }
  commit(
    who: Author,
    day: number,
    files: Record<string, string | Buffer | null>,
    message = `day ${day}`,
  ): string {
    return this.repo.commit(who, `@${T0 + day * DAY} +0000`, files, message);
  }
}

const A: Author = { name: 'Ann', email: 'ann@example.com' };
const B: Author = { name: 'Bob', email: 'bob@example.com' };
const C: Author = { name: 'Cat', email: 'Cat@Example.com' };
const D: Author = { name: 'Dan', email: 'dan@example.com' };

const lines = (...ls: string[]) => `${ls.join('\n')}\n`;
const numbered = (n: number, tag = 'l') => lines(...Array.from({ length: n }, (_, i) => `${tag}${i + 1}`));

/** What a test looks at: author, lines, fate. */
const brief = (c: GitChange) => ({
  name: c.name,
  added: c.linesAdded,
  deleted: c.linesDeleted,
  settled: c.settledLines,
  reworked: c.reworkedLines,
});

describe('readGitHistory: rework', () => {
  it('counts a line rewritten by someone else within 21 days as rework of the change that wrote it', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a', 'b', 'c') });
    r.commit(B, 3, { 'f.txt': lines('a', 'B', 'c') });
    r.commit(A, 10, { 'g.txt': lines('x', 'y') });
    r.commit(B, 40, { 'g.txt': lines('x', 'Y') }); // 30 days later: not rework
    r.commit(D, 50, { 'h.txt': lines('late') }); // written inside the last 21 days: not settled
    r.commit(D, 70, { 'i.txt': lines('end') });
    const h = await readGitHistory(r.dir);
    expect(h.end).toBe(us(70));
    expect(h.changes.map(brief)).toEqual([
      { name: 'Ann', added: 3, deleted: 0, settled: 3, reworked: 1 },
      { name: 'Bob', added: 1, deleted: 1, settled: 1, reworked: 0 },
      { name: 'Ann', added: 2, deleted: 0, settled: 2, reworked: 0 },
      { name: 'Bob', added: 1, deleted: 1, settled: 1, reworked: 0 },
      { name: 'Dan', added: 1, deleted: 0, settled: 0, reworked: 0 },
      { name: 'Dan', added: 1, deleted: 0, settled: 0, reworked: 0 },
    ]);
    expect(h.changes.map((c) => c.ts)).toEqual([0, 3, 10, 40, 50, 70].map(us));
    expect(h.skipped).toEqual({ files: 0 });
  });

  it('judges the window inclusively: a line rewritten exactly 21 days later is rework, 22 is not', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a', 'b') });
    r.commit(B, REWORK_DAYS, { 'f.txt': lines('A', 'b') });
    r.commit(B, 22, { 'f.txt': lines('A', 'B') });
    r.commit(D, 100, { 'g.txt': lines('end') });
    const h = await readGitHistory(r.dir);
    expect(h.changes[0]).toMatchObject({ settledLines: 2, reworkedLines: 1 });
  });

  it('counts a change settled once its window closed by the last change, and not before', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a', 'b') });
    r.commit(B, 1, { 'f.txt': lines('a', 'B') });
    r.commit(D, 20, { 'g.txt': lines('x') });
    const h = await readGitHistory(r.dir);
    // Ann's line b was rewritten, but her window runs to day 21 and the history ends on day 20.
    expect(h.changes.map(brief)[0]).toEqual({ name: 'Ann', added: 2, deleted: 0, settled: 0, reworked: 0 });
    const longer = await readGitHistory(r.dir, { reworkDays: 7 });
    expect(longer.changes.map(brief)[0]).toEqual({
      name: 'Ann',
      added: 2,
      deleted: 0,
      settled: 2,
      reworked: 1,
    });
  });

  it('counts every line of a file deleted within the window as rework of the changes that wrote them', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': numbered(4) });
    r.commit(C, 2, { 'f.txt': lines('l1', 'l2', 'l3', 'l4', 'c5') });
    r.commit(B, 5, { 'f.txt': null });
    r.commit(D, 60, { 'g.txt': lines('end') });
    const h = await readGitHistory(r.dir);
    expect(h.changes.map(brief)).toEqual([
      { name: 'Ann', added: 4, deleted: 0, settled: 4, reworked: 4 },
      { name: 'Cat', added: 1, deleted: 0, settled: 1, reworked: 1 },
      { name: 'Bob', added: 0, deleted: 5, settled: 0, reworked: 0 },
      { name: 'Dan', added: 1, deleted: 0, settled: 0, reworked: 0 },
    ]);
  });

  it('keeps line ages through renames, with and without edits, and through C-quoted names', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'src/a.txt': numbered(10), 'q"é.txt': numbered(10, 'q') });
    r.git(B, 1, 'mv', 'src/a.txt', 'src/b c.txt');
    r.commit(B, 1, {});
    mkdirSync(join(r.dir, 'lib'));
    r.git(C, 2, 'mv', 'src/b c.txt', 'lib/c.txt');
    r.git(C, 2, 'mv', 'q"é.txt', 'r\té.txt');
    r.commit(C, 2, { 'lib/c.txt': numbered(10).replace('l10', 'c10'), 'r\té.txt': numbered(11, 'q') });
    // Day 10 rewrites lines Ann wrote on day 0, in both renamed files.
    r.commit(D, 10, {
      'lib/c.txt': numbered(10).replace('l1\n', 'd1\n').replace('l10', 'c10'),
      'r\té.txt': numbered(11, 'q').replace('q2\n', 'd2\n'),
    });
    r.commit(D, 60, { 'end.txt': lines('end') });
    const h = await readGitHistory(r.dir);
    expect(h.changes.map(brief)).toEqual([
      { name: 'Ann', added: 20, deleted: 0, settled: 20, reworked: 3 },
      { name: 'Bob', added: 0, deleted: 0, settled: 0, reworked: 0 },
      { name: 'Cat', added: 2, deleted: 1, settled: 2, reworked: 0 },
      { name: 'Dan', added: 2, deleted: 2, settled: 2, reworked: 0 },
      { name: 'Dan', added: 1, deleted: 0, settled: 0, reworked: 0 },
    ]);
    expect(h.skipped).toEqual({ files: 0 });
  });
});

describe('readGitHistory: authors', () => {
  it('reads a pull request merged with a merge commit as one change by the branch author', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'main.txt': lines('m') });
    r.git(C, 1, 'checkout', '-q', '-b', 'feature');
    r.commit(C, 1, { 'feat.txt': lines('f1', 'f2') });
    r.commit(C, 2, { 'feat.txt': lines('f1', 'F2', 'f3'), 'more.txt': lines('x', 'y', 'z') });
    r.git(A, 2, 'checkout', '-q', 'main');
    r.commit(A, 2, { 'main.txt': lines('m', 'n') });
    r.git(D, 3, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #1 from cat/feature', 'feature');
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.name, c.email, c.linesAdded, c.linesDeleted])).toEqual([
      ['Ann', 'ann@example.com', 1, 0],
      ['Ann', 'ann@example.com', 1, 0],
      // The branch's total against main, by its author (lower-cased), at the merge's time.
      ['Cat', 'cat@example.com', 6, 0],
    ]);
    expect(h.changes[2]!.ts).toBe(us(3));
    // The branch the pull request merged, as an agent working on it logs it; the other changes merged none.
    expect(h.changes.map((c) => c.branch)).toEqual([null, null, 'feature']);
  });

  it('reads a squash merge as the branch it squashed, while the branch is in the repository', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'main.txt': numbered(20) });
    // Two branches of Cat's: one squashed as GitHub does, one squashed and then gone; a third of Bob's still open.
    for (const branch of ['feat/login', 'fix/gone']) r.git(C, 1, 'branch', branch);
    r.git(C, 1, 'checkout', '-q', 'feat/login');
    r.commit(C, 1, { 'login.txt': lines('a', 'b') });
    r.commit(C, 2, { 'login.txt': lines('a', 'B', 'c'), 'main.txt': numbered(21) });
    r.git(C, 2, 'checkout', '-q', 'fix/gone');
    r.commit(C, 2, { 'gone.txt': lines('g') });
    r.git(B, 2, 'checkout', '-q', '-b', 'feat/open', 'main');
    r.commit(B, 2, { 'open.txt': lines('o') });
    r.git(A, 3, 'checkout', '-q', 'main');
    // The line moves on first: the squash lands on other changes, its hunks at other line numbers.
    r.commit(A, 3, { 'main.txt': lines('top', ...numbered(20).trimEnd().split('\n')) });
    for (const [branch, day] of [
      ['feat/login', 4],
      ['fix/gone', 5],
    ] as const) {
      r.git(D, day, 'merge', '-q', '--squash', branch);
      r.git(D, day, 'commit', '-q', '-m', `${branch} (#${day})`);
    }
    r.git(D, 6, 'branch', '-D', 'fix/gone');
    r.commit(A, 7, { 'end.txt': lines('end') });
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.name, c.branch])).toEqual([
      ['Ann', null],
      ['Ann', null],
      ['Dan', 'feat/login'],
      ['Dan', null],
      ['Ann', null],
    ]);
    // A clone has the branch as origin's: the same name, as an agent records it.
    const clone = join(mkdtempSync(join(tmpdir(), 'tl-squash-')), 'clone');
    temps.push(dirname(clone));
    execFileSync('git', ['clone', '-q', r.dir, clone]);
    expect((await readGitHistory(clone)).changes.map((c) => c.branch)).toEqual([
      null,
      null,
      'feat/login',
      null,
      null,
    ]);
  });

  it('applies the repository .mailmap to authors and to merged branch authors', async () => {
    const r = new Repo();
    r.commit(A, 0, { '.mailmap': lines('Ann Real <ann@real.example> <ann@example.com>') });
    r.git(C, 1, 'checkout', '-q', '-b', 'feature');
    r.commit(A, 1, { 'f.txt': lines('x') });
    r.git(A, 2, 'checkout', '-q', 'main');
    r.git(D, 2, 'merge', '-q', '--no-ff', '-m', 'merge', 'feature');
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.name, c.email])).toEqual([
      ['Ann Real', 'ann@real.example'],
      ['Ann Real', 'ann@real.example'],
    ]);
  });
});

describe('readGitHistory: reverts', () => {
  it('marks a reverted change, and un-marks it when the revert is reverted', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a') });
    const x = r.commit(B, 1, { 'f.txt': lines('a', 'b') });
    r.git(A, 2, 'revert', '--no-edit', x);
    const r1 = r.git(A, 2, 'rev-parse', 'HEAD');
    let h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.reverts, c.reverted])).toEqual([
      [null, false],
      [null, true],
      [x, false],
    ]);

    r.git(B, 3, 'revert', '--no-edit', r1);
    h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.reverts, c.reverted])).toEqual([
      [null, false],
      [null, false],
      [x, true],
      [r1, false],
    ]);
  });

  it('resolves an abbreviated sha against the changes before it', async () => {
    const r = new Repo();
    const x = r.commit(A, 0, { 'f.txt': lines('a') });
    r.commit(B, 1, { 'f.txt': lines('b') }, `Revert "a"\n\nThis reverts commit ${x.slice(0, 9)}.`);
    r.commit(B, 2, { 'f.txt': lines('c') }, 'Revert "nothing"\n\nThis reverts commit 0000000.');
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.reverts, c.reverted])).toEqual([
      [null, true],
      [x, false],
      [null, false],
    ]);
  });

  it('reads a revert merged as a pull request from the merged branch tip', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a') });
    const x = r.commit(A, 1, { 'f.txt': lines('a', 'b') });
    r.git(B, 2, 'checkout', '-q', '-b', 'revert-x');
    r.git(B, 2, 'revert', '--no-edit', x);
    r.git(B, 2, 'checkout', '-q', 'main');
    r.git(D, 3, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #2 from revert-x', 'revert-x');
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.name, c.reverts, c.reverted])).toEqual([
      ['Ann', null, false],
      ['Ann', null, true],
      ['Bob', x, false],
    ]);
  });
});

/** Per first-parent commit, what `git log --numstat` says, binary files counting 0. */
function numstat(r: Repo): [number, number][] {
  const out = r.git(
    A,
    0,
    'log',
    '--first-parent',
    '--reverse',
    '--numstat',
    '--diff-merges=first-parent',
    '-M',
    '--format=%x1e',
  );
  return out
    .split('\x1e')
    .slice(1)
    .map((rec) => {
      let added = 0;
      let deleted = 0;
      for (const l of rec.split('\n')) {
        const m = /^(\d+|-)\t(\d+|-)\t/.exec(l);
        if (!m) continue;
        added += m[1] === '-' ? 0 : Number(m[1]);
        deleted += m[2] === '-' ? 0 : Number(m[2]);
      }
      return [added, deleted];
    });
}

describe('readGitHistory: counts', () => {
  it('reads binary files and files without a final newline without breaking the counts', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'img.bin': Buffer.from([0, 1, 2, 3]), 't.txt': 'a\nb' });
    // Appending to a line without newline rewrites it, as git shows (-b, +b, +c).
    r.commit(B, 1, { 'img.bin': Buffer.from([0, 9, 2, 3, 4]), 't.txt': 'a\nb\nc\n' });
    r.git(B, 2, 'mv', 'img.bin', 'pic.bin');
    r.commit(B, 2, { 't.txt': 'a\nb\nC' });
    r.commit(C, 40, { 'pic.bin': null, 'u.txt': lines('u') });
    const h = await readGitHistory(r.dir);
    expect(h.changes.map(brief)).toEqual([
      { name: 'Ann', added: 2, deleted: 0, settled: 2, reworked: 1 },
      { name: 'Bob', added: 2, deleted: 1, settled: 2, reworked: 1 },
      { name: 'Bob', added: 1, deleted: 1, settled: 1, reworked: 0 },
      { name: 'Cat', added: 1, deleted: 0, settled: 0, reworked: 0 },
    ]);
    expect(h.changes.map((c) => [c.linesAdded, c.linesDeleted])).toEqual(numstat(r));
    expect(h.skipped).toEqual({ files: 0 });
  });

  it('gives the same line counts as git log --numstat on a history with merges, renames and deletions', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'a.txt': numbered(30), 'b.txt': numbered(5, 'b'), 'empty.txt': '' });
    r.git(C, 1, 'checkout', '-q', '-b', 'feature');
    r.commit(C, 1, { 'a.txt': numbered(30).replace('l7\n', 'x\ny\n'), 'new.txt': numbered(8, 'n') });
    r.git(C, 2, 'mv', 'b.txt', 'moved.txt');
    r.commit(C, 2, { 'moved.txt': numbered(6, 'b'), 'empty.txt': null });
    r.git(A, 3, 'checkout', '-q', 'main');
    r.commit(A, 3, { 'a.txt': numbered(30).replace('l20\n', '') });
    r.git(D, 4, 'merge', '-q', '--no-ff', '-m', 'merge', 'feature');
    r.commit(A, 5, { 'z.txt': numbered(3, 'z') });
    r.git(A, 6, 'update-index', '--chmod=+x', 'z.txt');
    r.git(A, 6, 'commit', '-q', '-m', 'mode only');
    const h = await readGitHistory(r.dir);
    expect(h.changes).toHaveLength(5);
    expect(h.changes.map((c) => [c.linesAdded, c.linesDeleted])).toEqual(numstat(r));
    expect(h.skipped).toEqual({ files: 0 });
  });

  it('pairs lines as --numstat does where -U0 would not (git trims a common tail over 1 KiB under -U0)', async () => {
    // Reduced from a real history: under -U0 git diffs this pair as 5 added / 13 deleted, --numstat as 6 / 14.
    const row = (i: number) => `${`line ${i} `.padEnd(119, '.')}\n`;
    const tail = [14, 15, 16, 17, 18, -1, 19, 20, 21, 22].map((i) => (i < 0 ? '\n' : row(i))).join('');
    const r = new Repo();
    r.commit(A, 0, {
      'f.md': `${row(0)}\n${[...Array(12).keys()].map((i) => row(i + 2)).join('')}\n${tail}`,
    });
    r.commit(B, 1, { 'f.md': `${'\n'.repeat(7)}${tail}` });
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.linesAdded, c.linesDeleted])).toEqual(numstat(r));
    expect(h.changes[1]).toMatchObject({ linesAdded: 6, linesDeleted: 14 });
  });

  it('reads content that looks like patch headers, carriage returns, and output larger than a pipe chunk', async () => {
    const r = new Repo();
    const tricky = lines(
      '-- a/x',
      '++ b/y',
      'diff --git a/f b/f',
      '@@ -1 +1 @@',
      '\x1eno commit\x1f',
      'cr\rin line',
    );
    const big = numbered(20_000, 'row-with-some-width-');
    const wide = `${'w'.repeat(200_000)}\n`;
    r.commit(A, 0, { 't.txt': tricky, 'big.txt': big, 'wide.txt': wide, 'crlf.txt': 'a\r\nb\r\n' });
    r.commit(B, 1, {
      't.txt': tricky.replace('++ b/y', '+++ b/z').replace('@@ -1 +1 @@', '@@ -2 +2 @@'),
      'big.txt': big.replace(/-1(\d)5\n/g, '-1$15 changed\n'),
      'wide.txt': `${wide}${wide}`,
      'crlf.txt': 'a\r\nB\r\n',
    });
    r.commit(D, 60, { 'end.txt': lines('end') });
    const h = await readGitHistory(r.dir);
    expect(h.changes.map((c) => [c.linesAdded, c.linesDeleted])).toEqual(numstat(r));
    expect(h.changes[0]).toMatchObject({ linesAdded: 20_009, settledLines: 20_009, reworkedLines: 13 });
    expect(h.skipped).toEqual({ files: 0 });
  });
});

describe('readGitHistory: since', () => {
  it('returns only changes at or after `since`, with line ages from the whole history', async () => {
    const r = new Repo();
    r.commit(A, -30, { 'old.txt': lines('o1', 'o2') });
    r.commit(A, 0, { 'f.txt': lines('a', 'b', 'c') });
    r.commit(B, 5, { 'f.txt': lines('a', 'B', 'c', 'd') });
    // Rewrites Bob's d (rework of day 5), Ann's c (day 0: her change is before `since`) and o1 (40 days old).
    r.commit(C, 10, { 'f.txt': lines('a', 'B', 'C', 'D'), 'old.txt': lines('O1', 'o2') });
    r.commit(D, 60, { 'end.txt': lines('end') });
    const all = await readGitHistory(r.dir);
    const h = await readGitHistory(r.dir, { since: us(3) });
    expect(h.end).toBe(all.end);
    expect(h.changes).toEqual(all.changes.filter((c) => c.ts >= us(3)));
    expect(h.changes.map(brief)).toEqual([
      { name: 'Bob', added: 2, deleted: 1, settled: 2, reworked: 1 },
      { name: 'Cat', added: 3, deleted: 3, settled: 3, reworked: 0 },
      { name: 'Dan', added: 1, deleted: 0, settled: 0, reworked: 0 },
    ]);
    expect(all.changes.map(brief).slice(0, 2)).toEqual([
      { name: 'Ann', added: 2, deleted: 0, settled: 2, reworked: 0 },
      { name: 'Ann', added: 3, deleted: 0, settled: 3, reworked: 2 },
    ]);
    // A `since` after every change still judges windows against the last change read.
    expect(await readGitHistory(r.dir, { since: us(61) })).toMatchObject({ changes: [], end: us(60) });
  });
});

describe('readGitHistory: repositories and refs', () => {
  it('reads the first-parent line of the ref given', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a') });
    r.git(B, 1, 'checkout', '-q', '-b', 'other');
    r.commit(B, 1, { 'f.txt': lines('a', 'b') });
    const h = await readGitHistory(r.dir, { ref: 'main' });
    expect(h).toMatchObject({ repo: r.dir, ref: 'main', end: us(0), skipped: { files: 0 } });
    expect(h.changes.map((c) => c.name)).toEqual(['Ann']);
    expect((await readGitHistory(r.dir)).changes.map((c) => c.name)).toEqual(['Ann', 'Bob']);
  });

  it('reads an empty repository as an empty history', async () => {
    const r = new Repo();
    expect(await readGitHistory(r.dir)).toEqual({
      repo: r.dir,
      ref: 'HEAD',
      tip: null,
      changes: [],
      end: 0,
      skipped: { files: 0 },
    });
  });

  it('rejects a path that is not a git repository, or is missing, naming it and quoting git', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-roi-git-'));
    temps.push(dir);
    const err = await readGitHistory(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenledgerError);
    expect(err).toMatchObject({ code: 'ROI_BAD_REPO' });
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toMatch(/git: fatal: not a git repository/);
    await expect(readGitHistory(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'ROI_BAD_REPO',
      message: expect.stringContaining('missing'),
    });
  });

  it('rejects a ref that names no commit', async () => {
    const r = new Repo();
    r.commit(A, 0, { 'f.txt': lines('a') });
    for (const ref of ['nope', '--all', 'HEAD:f.txt'])
      await expect(readGitHistory(r.dir, { ref })).rejects.toMatchObject({
        code: 'ROI_BAD_REPO',
        message: expect.stringContaining(`ref ${JSON.stringify(ref)} is not a commit`),
      });
  });

  it('rejects a negative rework window', async () => {
    await expect(readGitHistory('.', { reworkDays: -1 })).rejects.toMatchObject({ code: 'ROI_BAD_OPTION' });
  });
});

describe('createLineReplay (the pure core)', () => {
  const commit = (day: number, files: { from: string | null; to: string | null; hunks: number[] }[]) => ({
    sha: `s${day}`,
    email: 'e',
    name: 'n',
    ts: us(day),
    parents: [],
    revertOf: null,
    branch: null,
    files: files.map((f) => ({ ...f, copy: false, binary: false, broken: false })),
  });

  it('skips a hunk outside the file, counts it, and treats the file as of unknown lines from then on', () => {
    const r = createLineReplay(REWORK_DAYS * DAY * 1_000_000);
    r.apply(commit(0, [{ from: null, to: 'f', hunks: [0, 0, 1, 3] }]));
    r.apply(commit(1, [{ from: 'f', to: 'f', hunks: [7, 1, 7, 1] }])); // the file has 3 lines
    r.apply(commit(2, [{ from: 'f', to: 'f', hunks: [1, 1, 1, 1] }]));
    expect(r.skippedFiles).toBe(1);
    expect(r.changes.map((c) => [c.linesAdded, c.linesDeleted, c.trackedAdded, c.reworked])).toEqual([
      [3, 0, 3, 0],
      [1, 1, 0, 0],
      [1, 1, 0, 0],
    ]);
    // Recreated, the file is followed again.
    r.apply(commit(3, [{ from: 'f', to: null, hunks: [] }]));
    r.apply(commit(4, [{ from: null, to: 'f', hunks: [0, 0, 1, 2] }]));
    r.apply(commit(5, [{ from: 'f', to: 'f', hunks: [2, 0, 3, 1] }]));
    expect(r.changes.map((c) => c.trackedAdded).slice(4)).toEqual([2, 1]);
  });
});

describe('applyHunks', () => {
  const none = () => {};
  it('applies hunks in order with an offset: insert at top, replace, delete, append', () => {
    const before = Int32Array.from([0, 0, 0, 0, 0]);
    const gone: number[] = [];
    // +x at top; line 2 → y,z; delete line 4; append w after line 5.
    const after = applyHunks(before, [0, 0, 1, 1, 2, 1, 3, 2, 4, 1, 5, 0, 5, 0, 7, 1], 9, (o) =>
      gone.push(o),
    );
    expect([...after!]).toEqual([9, 0, 9, 9, 0, 0, 9]);
    expect(gone).toEqual([0, 0]);
  });

  it('refuses hunks whose new positions do not match the old ones, without reporting deletions', () => {
    const gone: number[] = [];
    expect(applyHunks(Int32Array.from([1, 1]), [1, 1, 2, 1], 3, (o) => gone.push(o))).toBeNull();
    expect(applyHunks(Int32Array.from([1, 1]), [2, 1, 2, 1, 1, 1, 1, 1], 3, none)).toBeNull();
    expect(gone).toEqual([]);
  });
});
