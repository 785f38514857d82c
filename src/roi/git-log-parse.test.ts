import { describe, expect, it } from 'vitest';
import {
  createLogParser,
  diffGitPaths,
  type LogCommit,
  mergedBranch,
  revertReference,
  unquoteCPath,
} from './git-log-parse.js';

const SHA1 = '1'.repeat(40);
const SHA2 = '2'.repeat(40);

function parse(text: string): LogCommit[] {
  const out: LogCommit[] = [];
  const p = createLogParser((c) => out.push(c));
  for (const line of text.split('\n')) p.push(line);
  p.end();
  return out;
}

const header = (sha: string, parents: string, body: string) =>
  `\x1e${sha}\x1fAnn@Example.COM\x1fAnn\x1f1700000000\x1f${parents}\x1f${body}\x1f`;

describe('createLogParser', () => {
  it('reads the header fields, a body of several lines, and no files for an empty commit', () => {
    const [c] = parse(header(SHA1, `${SHA2} ${'3'.repeat(40)}`, 'Subject\n\nbody\n\x1fodd\n'));
    expect(c).toEqual({
      sha: SHA1,
      email: 'ann@example.com',
      name: 'Ann',
      ts: 1_700_000_000_000_000,
      parents: [SHA2, '3'.repeat(40)],
      revertOf: null,
      branch: null,
      files: [],
    });
  });

  it('reads hunk ranges, an omitted count as 1, and content that looks like headers as content', () => {
    const [c, d] = parse(
      [
        header(SHA1, '', 'one\n'),
        '',
        'diff --git a/f b/f',
        'index 1..2 100644',
        '--- a/f',
        '+++ b/f',
        '@@ -5 +5 @@ fn',
        '--- a/x', // a deleted line "-- a/x"
        '+++ b/y',
        '@@ -9,0 +10,3 @@',
        '+diff --git a/g b/g',
        '+\x1e not a commit',
        '+@@ -1 +1 @@',
        '\\ No newline at end of file',
        header(SHA2, SHA1, 'two\n'),
      ].join('\n'),
    );
    expect(c!.files).toEqual([
      { from: 'f', to: 'f', copy: false, binary: false, hunks: [5, 1, 5, 1, 9, 0, 10, 3], broken: false },
    ]);
    expect(d!.sha).toBe(SHA2);
  });

  it('splits a hunk with context lines into the zero-context hunks of its changed runs', () => {
    const [c] = parse(
      [
        header(SHA1, '', 'x\n'),
        'diff --git a/f b/f',
        '--- a/f',
        '+++ b/f',
        '@@ -3,5 +3,5 @@',
        ' keep',
        '-old',
        '+new',
        '+more',
        '', // a blank context line, as diff.suppressBlankEmpty prints it
        '-gone',
        ' keep',
        '\\ No newline at end of file',
      ].join('\n'),
    );
    // Old line 4 becomes new lines 4 and 5; old line 6 goes, after new line 6.
    expect(c!.files[0]!.hunks).toEqual([4, 1, 4, 2, 6, 1, 6, 0]);
    expect(c!.files[0]!.broken).toBe(false);
  });

  it('reads new, deleted, renamed, copied and binary files', () => {
    const [c] = parse(
      [
        header(SHA1, '', 'x\n'),
        'diff --git a/new b/new',
        'new file mode 100644',
        'index 0000000..e69de29',
        'diff --git a/gone.bin b/gone.bin',
        'deleted file mode 100644',
        'Binary files a/gone.bin and /dev/null differ',
        'diff --git a/old name b/new name',
        'similarity index 90%',
        'rename from old name',
        'rename to new name',
        'index 1..2 100644',
        '--- a/old name\t',
        '+++ b/new name\t',
        '@@ -1 +1 @@',
        '-a',
        '+b',
        'diff --git a/src b/dst',
        'similarity index 100%',
        'copy from src',
        'copy to dst',
        'diff --git a/m b/m',
        'old mode 100644',
        'new mode 100755',
      ].join('\n'),
    );
    const f = (from: string | null, to: string | null, more = {}) => ({
      from,
      to,
      copy: false,
      binary: false,
      hunks: [],
      broken: false,
      ...more,
    });
    expect(c!.files).toEqual([
      f(null, 'new'),
      f('gone.bin', null, { binary: true }),
      f('old name', 'new name', { hunks: [1, 1, 1, 1] }),
      f('src', 'dst', { copy: true }),
      f('m', 'm'),
    ]);
  });

  it('marks a file whose hunk is cut short as broken and reads on', () => {
    const [c, d] = parse(
      [
        header(SHA1, '', 'x\n'),
        'diff --git a/f b/f',
        '--- a/f',
        '+++ b/f',
        '@@ -1,3 +1,0 @@',
        '-a',
        'diff --git a/g b/g',
        '--- a/g',
        '+++ b/g',
        '@@ -1 +1 @@',
        '-a',
        '+b',
        header(SHA2, SHA1, 'y\n'),
        'diff --git a/h b/h',
        '--- a/h',
        '+++ b/h',
        '@@ -1,2 +1 @@',
        '-a',
      ].join('\n'),
    );
    expect(c!.files.map((x) => [x.to, x.broken])).toEqual([
      ['f', true],
      ['g', false],
    ]);
    expect(d!.files.map((x) => [x.to, x.broken])).toEqual([['h', true]]);
  });

  it('reads the reverted sha from the message', () => {
    const [c] = parse(header(SHA1, '', `Revert "x"\n\nThis reverts commit ${SHA2}.\n`));
    expect(c!.revertOf).toBe(SHA2);
  });
});

describe('mergedBranch', () => {
  it("names the branch a merge commit's first line says it merged, as the agent on it logged it", () => {
    expect(mergedBranch('Merge pull request #12 from acme/fix-login\n\nFix the login')).toBe('fix-login');
    expect(mergedBranch('Merge pull request #3 from ana/feat/retries')).toBe('feat/retries');
    expect(mergedBranch("Merge branch 'feature-x' into 'main'\n\nSee merge request acme/api!7")).toBe(
      'feature-x',
    );
    expect(mergedBranch("Merge branch 'feature-x'")).toBe('feature-x');
    expect(mergedBranch("Merge remote-tracking branch 'origin/feat/x'")).toBe('feat/x');
    expect(mergedBranch('Fix the login (#12)')).toBeNull();
    expect(mergedBranch('Revert "Merge branch \'x\'"')).toBeNull();
  });

  it('is read for merges only', () => {
    const [merge, plain] = parse(
      [
        header(SHA1, `${SHA2} ${'3'.repeat(40)}`, "Merge branch 'topic'\n"),
        header(SHA2, '', "Merge branch 'topic'\n"),
      ].join('\n'),
    );
    expect([merge!.branch, plain!.branch]).toEqual(['topic', null]);
  });
});

describe('revertReference', () => {
  it('takes 7 to 40 hex digits after "This reverts commit"', () => {
    expect(revertReference('This reverts commit abcdef1, reversing\nchanges made to 1234567.')).toBe(
      'abcdef1',
    );
    expect(revertReference('This reverts commit abc.')).toBeNull();
    expect(revertReference('Reverts #12')).toBeNull();
  });
});

describe('C-quoted paths', () => {
  it('unquotes octal bytes as UTF-8, escapes, and raw non-ASCII alike', () => {
    expect(unquoteCPath('"a/p\\303\\251"')).toBe('a/pé');
    expect(unquoteCPath('"a/é\\"q\\t\\\\.txt"')).toBe('a/é"q\t\\.txt');
    expect(unquoteCPath('"a/😀\\n"')).toBe('a/😀\n');
  });

  it('splits diff --git paths, quoted or not, spaces included', () => {
    expect(diffGitPaths('a/x y b/x y')).toEqual(['x y', 'x y']);
    expect(diffGitPaths('"a/\\"q" "b/\\"q"')).toEqual(['"q', '"q']);
    expect(diffGitPaths('a/plain "b/t\\tab"')).toEqual(['plain', 't\tab']);
    expect(diffGitPaths('"a/t\\tab" b/plain')).toEqual(['t\tab', 'plain']);
    // A rename with spaces can't be split here; its "rename from/to" lines say the paths.
    expect(diffGitPaths('a/x y b/z')).toEqual([undefined, undefined]);
  });
});
