/**
 * A line-by-line parser of `git log -p --format=LOG_FORMAT` output: commits with, per file pair, the old and new
 * path and the changed line ranges. Pure, and fed one line at a time so a history of any size streams through.
 *
 * The parser never reads a hunk's content for meaning: it consumes exactly as many lines of each side as the hunk
 * header announces. That is what keeps a deleted line reading `-- a/x` (shown as `--- a/x`) or an added line
 * `+diff --git …` from being taken for a header.
 *
 * Hunks may carry context lines; each run of changed lines between them is reported as the zero-context hunk it
 * would be. git is run with one line of context, not zero: with -U0 git trims the files' common tail before
 * diffing (xdiff-interface.c trim_common_tail), which can pair lines differently from --numstat.
 */

/** `%x1e` opens a commit, `%x1f` ends each field; the body comes last and ends on the line the last `%x1f` ends. */
export const LOG_FORMAT = '%x1e%H%x1f%aE%x1f%aN%x1f%at%x1f%P%x1f%B%x1f';

export interface LogCommit {
  sha: string;
  email: string;
  name: string;
  /** Author time, epoch µs. */
  ts: number;
  parents: string[];
  /** The hex named by "This reverts commit <hex>" in the message (possibly abbreviated), else null. */
  revertOf: string | null;
  /** The branch a merge's message says it merged (mergedBranch), else null. */
  branch: string | null;
  files: FileDiff[];
}

export interface FileDiff {
  /** Path before the change; null for a new file. */
  from: string | null;
  /** Path after the change; null for a deleted file. */
  to: string | null;
  /** A copy keeps its source: the new path starts as the old one's lines. */
  copy: boolean;
  /** "Binary files … differ": no line counts. */
  binary: boolean;
  /**
   * Zero-context hunk ranges flattened as oldStart, oldCount, newStart, newCount, … in file order; a start whose
   * count is 0 names the line before the gap (as `--unified=0` prints them).
   */
  hunks: number[];
  /** The patch was not what its headers announced (cut short, or a path that could not be read); don't follow it. */
  broken: boolean;
}

export interface LogParser {
  push(line: string): void;
  /** Inside a hunk's body only a line's first character matters: a caller may pass just that. */
  readonly inHunk: boolean;
  /** Flushes the last commit. */
  end(): void;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const REVERT = /This reverts commit ([0-9a-f]{7,40})\b/;

function parents(field: string | undefined): string[] {
  return (field ?? '').split(' ').filter((p) => p !== '');
}

/**
 * The branch a merge commit's first line names, as the forges and git write it: GitHub's "Merge pull request #12 from
 * owner/feature-x", GitLab's and git's "Merge branch 'feature-x' into 'main'", "Merge remote-tracking branch
 * 'origin/feature-x'". The branch as an agent's log records it: without the owner or remote before its first slash
 * (GitHub's, a remote-tracking one's). Null for any other message (a squash merge names no branch).
 */
export function mergedBranch(message: string): string | null {
  const subject = message.split('\n', 1)[0]!.trim();
  const pr = /^Merge pull request #\d+ from [^/\s]+\/(\S+)/.exec(subject);
  if (pr) return pr[1]!;
  const remote = /^Merge remote-tracking branch '[^/']+\/([^']+)'/.exec(subject);
  if (remote) return remote[1]!;
  return /^Merge branch '([^']+)'/.exec(subject)?.[1] ?? null;
}

/** The commit a message says it reverts: `git revert` writes "This reverts commit <full sha>.". */
export function revertReference(message: string): string | null {
  return REVERT.exec(message)?.[1] ?? null;
}

interface PendingFile {
  gitA: string | undefined;
  gitB: string | undefined;
  minus: string | null | undefined;
  plus: string | null | undefined;
  renameFrom: string | undefined;
  renameTo: string | undefined;
  copy: boolean;
  newFile: boolean;
  deletedFile: boolean;
  binary: boolean;
  hunks: number[];
  broken: boolean;
}

export function createLogParser(onCommit: (c: LogCommit) => void): LogParser {
  let header: string[] | null = null;
  let headerSeps = 0;
  let commit: LogCommit | null = null;
  let file: PendingFile | null = null;
  // The hunk being read: lines of each side still to come, the next line number of each side, and the run of
  // changed lines since the last context line (a run is one zero-context hunk).
  let oldLeft = 0;
  let newLeft = 0;
  let oldNext = 0;
  let newNext = 0;
  let run = { del: 0, add: 0, oldAt: 0, newAt: 0 };

  const flushFile = () => {
    if (file && commit) commit.files.push(finishFile(file));
    file = null;
  };
  const flushCommit = () => {
    flushFile();
    if (commit) onCommit(commit);
    commit = null;
  };

  const fileLine = (line: string) => {
    if (line.startsWith('\x1e')) {
      flushCommit();
      header = [];
      headerSeps = 0;
      headerLine(line);
      return;
    }
    if (line.startsWith('diff --git ')) {
      flushFile();
      const [gitA, gitB] = diffGitPaths(line.slice('diff --git '.length));
      file = {
        gitA,
        gitB,
        minus: undefined,
        plus: undefined,
        renameFrom: undefined,
        renameTo: undefined,
        copy: false,
        newFile: false,
        deletedFile: false,
        binary: false,
        hunks: [],
        broken: false,
      };
      return;
    }
    if (!file) return;
    if (line.startsWith('@@ ')) {
      const m = HUNK.exec(line);
      if (!m) {
        file.broken = true;
        return;
      }
      // An omitted count means 1 (`@@ -5 +5 @@`).
      const b = m[2] === undefined ? 1 : Number(m[2]);
      const d = m[4] === undefined ? 1 : Number(m[4]);
      oldLeft = b;
      newLeft = d;
      // A start whose count is 0 names the line before the gap.
      oldNext = Number(m[1]) + (b === 0 ? 1 : 0);
      newNext = Number(m[3]) + (d === 0 ? 1 : 0);
    } else if (line.startsWith('--- ')) file.minus = patchPath(line.slice(4), 'a/');
    else if (line.startsWith('+++ ')) file.plus = patchPath(line.slice(4), 'b/');
    else if (line.startsWith('rename from ')) file.renameFrom = quotedOrPlain(line.slice(12));
    else if (line.startsWith('rename to ')) file.renameTo = quotedOrPlain(line.slice(10));
    else if (line.startsWith('copy from ')) {
      file.renameFrom = quotedOrPlain(line.slice(10));
      file.copy = true;
    } else if (line.startsWith('copy to ')) file.renameTo = quotedOrPlain(line.slice(8));
    else if (line.startsWith('new file mode ')) file.newFile = true;
    else if (line.startsWith('deleted file mode ')) file.deletedFile = true;
    else if (line.startsWith('Binary files ') && line.endsWith(' differ')) file.binary = true;
    // Anything else (index, mode, similarity lines, "\ No newline at end of file" after a hunk) says nothing
    // about which lines changed.
  };

  const headerLine = (line: string) => {
    header!.push(line);
    headerSeps += separators(line);
    if (headerSeps >= 6 && line.endsWith('\x1f')) closeHeader();
  };

  const closeHeader = () => {
    const text = header!.join('\n');
    header = null;
    const f = text.slice(1).split('\x1f');
    // The body is everything between the fifth separator and the last one, whatever it holds.
    const body = f.slice(5, -1).join('\x1f');
    const ps = parents(f[4]);
    commit = {
      sha: f[0] ?? '',
      email: (f[1] ?? '').toLowerCase(),
      name: f[2] ?? '',
      ts: Number(f[3]) * 1_000_000,
      parents: ps,
      revertOf: revertReference(body),
      branch: ps.length > 1 ? mergedBranch(body) : null,
      files: [],
    };
  };

  const flushRun = () => {
    const r = run;
    if (file && r.del + r.add > 0)
      file.hunks.push(r.del > 0 ? r.oldAt : r.oldAt - 1, r.del, r.add > 0 ? r.newAt : r.newAt - 1, r.add);
    run = { del: 0, add: 0, oldAt: 0, newAt: 0 };
  };
  const startRun = () => {
    if (run.del + run.add > 0) return;
    run.oldAt = oldNext;
    run.newAt = newNext;
  };

  const hunkLine = (line: string) => {
    const c = line[0];
    if (c === '-' && oldLeft > 0) {
      startRun();
      run.del++;
      oldNext++;
      oldLeft--;
    } else if (c === '+' && newLeft > 0) {
      startRun();
      run.add++;
      newNext++;
      newLeft--;
    } else if ((c === ' ' || c === undefined) && oldLeft > 0 && newLeft > 0) {
      // A context line (empty under diff.suppressBlankEmpty) ends a run.
      flushRun();
      oldNext++;
      newNext++;
      oldLeft--;
      newLeft--;
    } else if (c !== '\\') {
      // Not the lines the header announced: the patch can't be followed; read the line as a header.
      if (file) file.broken = true;
      oldLeft = newLeft = 0;
      run = { del: 0, add: 0, oldAt: 0, newAt: 0 };
      fileLine(line);
      return;
    }
    if (oldLeft + newLeft === 0) flushRun();
  };

  return {
    get inHunk() {
      return oldLeft + newLeft > 0;
    },
    push(line: string) {
      if (header) headerLine(line);
      else if (oldLeft + newLeft > 0) hunkLine(line);
      else fileLine(line);
    },
    end() {
      if (oldLeft + newLeft > 0 && file) file.broken = true;
      oldLeft = newLeft = 0;
      flushCommit();
    },
  };
}

function separators(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\x1f'); i !== -1; i = s.indexOf('\x1f', i + 1)) n++;
  return n;
}

function finishFile(p: PendingFile): FileDiff {
  const from = p.newFile ? null : (p.renameFrom ?? (p.minus === undefined ? p.gitA : p.minus));
  const to = p.deletedFile ? null : (p.renameTo ?? (p.plus === undefined ? p.gitB : p.plus));
  return {
    from: from ?? null,
    to: to ?? null,
    copy: p.copy,
    binary: p.binary,
    hunks: p.hunks,
    // A side left undefined means git printed paths this parser could not read.
    broken: p.broken || from === undefined || to === undefined,
  };
}

/** `--- a/p` / `+++ b/p`; null for /dev/null. Git ends the line with a tab when an unquoted path holds a space. */
function patchPath(s: string, prefix: string): string | null | undefined {
  if (s === '/dev/null') return null;
  const p = s.startsWith('"') ? unquoteCPath(s) : s.endsWith('\t') ? s.slice(0, -1) : s;
  return p.startsWith(prefix) ? p.slice(prefix.length) : undefined;
}

function quotedOrPlain(s: string): string {
  return s.startsWith('"') ? unquoteCPath(s) : s;
}

/**
 * The two paths of `diff --git a/X b/Y`, each C-quoted or not. Unquoted paths may hold spaces, so `a/X b/Y` is only
 * split when X and Y are equal (every change but a rename or copy, whose paths come from their own lines).
 */
export function diffGitPaths(rest: string): [string | undefined, string | undefined] {
  const strip = (p: string | undefined, prefix: string) =>
    p?.startsWith(prefix) ? p.slice(prefix.length) : undefined;
  if (rest.startsWith('"')) {
    const end = quotedEnd(rest);
    const a = unquoteCPath(rest.slice(0, end));
    return [strip(a, 'a/'), strip(quotedOrPlain(rest.slice(end + 1)), 'b/')];
  }
  // An unquoted path never holds a double quote, so a quote starts the second path.
  const q = rest.indexOf(' "');
  if (q !== -1) return [strip(rest.slice(0, q), 'a/'), strip(unquoteCPath(rest.slice(q + 1)), 'b/')];
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (a.startsWith('a/') && b.startsWith('b/') && a.slice(2) === b.slice(2))
      return [a.slice(2), b.slice(2)];
  }
  return [undefined, undefined];
}

/** Index just past the closing quote of the C-quoted string `s` starts with. */
function quotedEnd(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i + 1;
  }
  return s.length;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/**
 * Git's C quoting (`"a/p\303\251"`): octal escapes are bytes of the UTF-8 name, so the name is rebuilt as bytes and
 * decoded once. With core.quotepath=off non-ASCII comes through raw, mixed with escapes for `"`, `\` and controls.
 */
export function unquoteCPath(s: string): string {
  const end = s.startsWith('"') ? quotedEnd(s) - 1 : s.length;
  const bytes: number[] = [];
  for (let i = s.startsWith('"') ? 1 : 0; i < end; i++) {
    const cp = s.codePointAt(i)!;
    if (cp !== 92) {
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length - 1;
      continue;
    }
    const next = s[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4))![0];
      bytes.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
