import { TokenledgerError } from '../errors.js';
import { DAY_US } from '../ledger/time.js';
import { createLogParser, LOG_FORMAT, type LogCommit, revertReference } from './git-log-parse.js';
import { gitFailed, runGit, streamGit } from './git-run.js';
import { type SquashCandidate, squashedBranches } from './squash-merges.js';

/** Days after a line is written within which rewriting or deleting it counts as rework. */
export const REWORK_DAYS = 21;

export interface GitChange {
  sha: string;
  /** Author email as git reports it with the repository's .mailmap applied (%aE), lower-cased. */
  email: string;
  /** Author name, .mailmap applied (%aN). */
  name: string;
  /** Author time, epoch microseconds UTC. */
  ts: number;
  linesAdded: number;
  linesDeleted: number;
  /** Full sha of the change this one reverts (its message says "This reverts commit <sha>"), else null. */
  reverts: string | null;
  /** A later change on the line reverted this one. */
  reverted: boolean;
  /**
   * The branch a merge commit merged, as its message names it (git-log-parse.ts, mergedBranch), or a squash merge
   * squashed, as a branch still in the repository with the same changes says (squash-merges.ts): the branch an agent
   * worked on, whose calls carry it (tag git_branch). Null for a commit pushed straight on, or a squash whose branch
   * is gone.
   */
  branch: string | null;
  /**
   * Lines this change added whose rework window (REWORK_DAYS from this change's time) had closed by the history's
   * last change: their fate is known. Lines still inside their window are in linesAdded only.
   */
  settledLines: number;
  /**
   * Of settledLines, those a later change rewrote (a modified line is a deletion plus an addition) or deleted
   * within the window.
   */
  reworkedLines: number;
}

export interface GitHistory {
  /** As given. */
  repo: string;
  /** As given (default 'HEAD'). */
  ref: string;
  /** The commit `ref` named when read; null for a repository with no commits. */
  tip: string | null;
  /** Oldest first. */
  changes: GitChange[];
  /** Time of the last change read, epoch µs (the end the windows are judged against); 0 when none. */
  end: number;
  /**
   * File patches whose lines could not be followed (a hunk outside the file as replayed so far, a patch cut short,
   * paths that could not be read). Their counts stay in linesAdded/linesDeleted, but the file's lines are of unknown
   * age from then on (until it is deleted or created anew), so they are neither settled nor reworked.
   */
  skipped: { files: number };
}

/** One change as the replay saw it, before authors of merges and reverts are resolved. */
export interface ReplayedChange extends Omit<LogCommit, 'files'> {
  linesAdded: number;
  linesDeleted: number;
  /** Added lines whose later fate the replay can follow (not in binary files or files of unknown lines). */
  trackedAdded: number;
  /** Added lines a later change deleted within the window. */
  reworked: number;
}

/**
 * Replays patches forward keeping, per file, the change that wrote each line (an index into `changes`; -1 when
 * unknown). A deleted line whose writer is at most `windowUs` older than the deleting change is rework of the writer.
 */
export function createLineReplay(windowUs: number) {
  const files = new Map<string, Int32Array | null>();
  const changes: ReplayedChange[] = [];
  let skippedFiles = 0;

  function apply(c: LogCommit): void {
    const idx = changes.length;
    const { files: _, ...commit } = c;
    const change: ReplayedChange = {
      ...commit,
      linesAdded: 0,
      linesDeleted: 0,
      trackedAdded: 0,
      reworked: 0,
    };
    changes.push(change);
    // Every file pair reads the tree before the commit and writes the tree after it, so a rename onto a path that
    // another pair of the same commit deletes or recreates comes out right whatever order git printed them in.
    const writes: [string, Int32Array | null][] = [];
    const removes: string[] = [];
    for (const f of c.files) {
      let added = 0;
      for (let h = 0; h < f.hunks.length; h += 4) {
        change.linesDeleted += f.hunks[h + 1]!;
        added += f.hunks[h + 3]!;
      }
      change.linesAdded += added;
      const before = f.from === null ? new Int32Array(0) : files.get(f.from);
      let after: Int32Array | null = null;
      // A path never seen is a patch that does not follow from the ones before it; a null one was binary.
      if (f.broken || before === undefined) skippedFiles++;
      else if (!f.binary && before) {
        after = applyHunks(before, f.hunks, idx, (origin) => {
          const o = changes[origin]!;
          if (c.ts - o.ts <= windowUs) o.reworked++;
        });
        if (after) change.trackedAdded += added;
        else skippedFiles++;
      }
      if (f.from !== null && !f.copy) removes.push(f.from);
      if (f.to !== null) writes.push([f.to, after]);
    }
    for (const p of removes) files.delete(p);
    for (const [p, lines] of writes) files.set(p, lines);
  }

  return {
    apply,
    changes,
    get skippedFiles() {
      return skippedFiles;
    },
  };
}

/**
 * The file's line origins after the `--unified=0` hunks (oldStart, oldCount, newStart, newCount, …), calling
 * `deleted` with the origin of every known line removed; null, before touching anything, when a hunk does not fit.
 */
export function applyHunks(
  before: Int32Array,
  hunks: readonly number[],
  idx: number,
  deleted: (origin: number) => void,
): Int32Array | null {
  // First check that every hunk lands where its header says, which also gives the new length.
  let pos = 0;
  let newLen = 0;
  for (let h = 0; h < hunks.length; h += 4) {
    const [a, b, c, d] = [hunks[h]!, hunks[h + 1]!, hunks[h + 2]!, hunks[h + 3]!];
    // With a zero count the start names the line before the gap (0: the top of the file).
    const at = b === 0 ? a : a - 1;
    if (at < pos || at + b > before.length) return null;
    newLen += at - pos;
    if (newLen !== (d === 0 ? c : c - 1)) return null;
    newLen += d;
    pos = at + b;
  }
  newLen += before.length - pos;
  const after = new Int32Array(newLen);
  pos = 0;
  let w = 0;
  for (let h = 0; h < hunks.length; h += 4) {
    const [a, b, d] = [hunks[h]!, hunks[h + 1]!, hunks[h + 3]!];
    const at = b === 0 ? a : a - 1;
    after.set(before.subarray(pos, at), w);
    w += at - pos;
    for (let i = at; i < at + b; i++) if (before[i]! >= 0) deleted(before[i]!);
    after.fill(idx, w, w + d);
    w += d;
    pos = at + b;
  }
  after.set(before.subarray(pos), w);
  return after;
}

/**
 * Turns replayed changes into the history: merge authors, reverts, and which lines are settled by the end.
 * `mergeTips` holds, by sha, the author and revert reference of each merge's second parent.
 */
export function summarize(
  replayed: readonly ReplayedChange[],
  mergeTips: ReadonlyMap<string, { email: string; name: string; revertOf: string | null }>,
  windowUs: number,
  since: number,
): { changes: GitChange[]; end: number } {
  // Author times along the line need not increase (a rebase keeps them); the end is the latest one.
  let end = 0;
  for (const c of replayed) end = Math.max(end, c.ts);
  const bySha = new Map<string, number>();
  const reverts: (number | string | null)[] = [];
  const revertersOf = new Map<number, number[]>();
  replayed.forEach((c, i) => {
    const tip = c.parents.length > 1 ? mergeTips.get(c.parents[1]!) : undefined;
    const ref = c.revertOf ?? tip?.revertOf ?? null;
    const target = ref === null ? null : resolve(ref, bySha, replayed, i);
    reverts.push(target);
    if (typeof target === 'number') revertersOf.set(target, [...(revertersOf.get(target) ?? []), i]);
    bySha.set(c.sha, i);
  });
  // A change is reverted when a reverter of it is not itself reverted: walking newest first, every reverter's
  // state is known before the change it reverts, so a revert of a revert restores the original.
  const reverted = new Array<boolean>(replayed.length).fill(false);
  for (let i = replayed.length - 1; i >= 0; i--)
    reverted[i] = (revertersOf.get(i) ?? []).some((r) => !reverted[r]);

  const changes: GitChange[] = [];
  replayed.forEach((c, i) => {
    if (c.ts < since) return;
    const tip = c.parents.length > 1 ? mergeTips.get(c.parents[1]!) : undefined;
    const settled = c.ts + windowUs <= end;
    const target = reverts[i]!;
    changes.push({
      sha: c.sha,
      email: tip?.email ?? c.email,
      name: tip?.name ?? c.name,
      ts: c.ts,
      linesAdded: c.linesAdded,
      linesDeleted: c.linesDeleted,
      reverts: typeof target === 'number' ? replayed[target]!.sha : target,
      reverted: reverted[i]!,
      branch: c.branch,
      settledLines: settled ? c.trackedAdded : 0,
      reworkedLines: settled ? c.reworked : 0,
    });
  });
  return { changes, end };
}

/**
 * The change a revert names: an index when it is on the line before the revert, a full sha when the message gives
 * one that is not (a commit of a merged branch), null for an abbreviation that matches none or several.
 */
function resolve(
  ref: string,
  bySha: ReadonlyMap<string, number>,
  replayed: readonly ReplayedChange[],
  before: number,
): number | string | null {
  if (ref.length === 40) return bySha.get(ref) ?? ref;
  let found: number | null = null;
  for (let i = 0; i < before; i++) {
    if (!replayed[i]!.sha.startsWith(ref)) continue;
    if (found !== null) return null;
    found = i;
  }
  return found;
}

/**
 * Reads the first-parent history of `ref` in `repo`. `since` (epoch µs): only changes at or after it are returned,
 * but every change is replayed, so line ages before it are right.
 *
 * @example
 * const h = await readGitHistory('/src/app', { since: Date.UTC(2026, 0, 1) * 1000 });
 * const churn = h.changes.reduce((n, c) => n + c.reworkedLines, 0) / h.changes.reduce((n, c) => n + c.settledLines, 0);
 */
export async function readGitHistory(
  repo: string,
  o: { ref?: string; since?: number; reworkDays?: number } = {},
): Promise<GitHistory> {
  return matchSquashes(await readGitLine(repo, o));
}

/**
 * A history as its line alone tells it: merge commits name their branches, squash merges are not matched yet. What
 * the line says changes only when its tip moves; the squashes also depend on which branches the repository holds
 * (matchSquashes), which change without it (a branch fetched, deleted or pushed again).
 */
export interface GitLine extends GitHistory {
  /** The single-parent changes that could be squash merges (those returned by `since`). */
  squashCandidates: SquashCandidate[];
}

/** The first half of readGitHistory: the line replayed, squashes left unmatched. */
export async function readGitLine(
  repo: string,
  o: { ref?: string; since?: number; reworkDays?: number } = {},
): Promise<GitLine> {
  const ref = o.ref ?? 'HEAD';
  const reworkDays = o.reworkDays ?? REWORK_DAYS;
  if (!(reworkDays >= 0 && Number.isFinite(reworkDays)))
    throw new TokenledgerError(
      'ROI_BAD_OPTION',
      `reworkDays must be a number of days ≥ 0 (got ${reworkDays})`,
    );
  const windowUs = reworkDays * DAY_US;
  const tip = await resolveRef(repo, ref);
  if (tip === null)
    return { repo, ref, tip, changes: [], end: 0, skipped: { files: 0 }, squashCandidates: [] };

  const replay = createLineReplay(windowUs);
  const parser = createLogParser(replay.apply);
  await streamGit(repo, [...LOG_ARGS, tip, '--'], (buf, start, stop) => {
    // Inside a hunk only the first character counts: skip decoding the line's content.
    if (!parser.inHunk) parser.push(buf.toString('utf8', start, stop));
    else parser.push(start < stop ? String.fromCharCode(buf[start]!) : '');
  });
  parser.end();

  const merges = replay.changes.filter((c) => c.parents.length > 1).map((c) => c.parents[1]!);
  const tips = merges.length > 0 ? await readMergeTips(repo, merges) : new Map();
  const since = o.since ?? Number.NEGATIVE_INFINITY;
  const { changes, end } = summarize(replay.changes, tips, windowUs, since);
  const squashCandidates = replay.changes
    .filter((c) => c.parents.length === 1 && c.ts >= since)
    .map(({ sha, ts, linesAdded, linesDeleted }) => ({ sha, ts, linesAdded, linesDeleted }));
  return { repo, ref, tip, changes, end, skipped: { files: replay.skippedFiles }, squashCandidates };
}

/**
 * The second half of readGitHistory: `line`'s squash merges matched to the branches the repository holds now
 * (squash-merges.ts). Leaves `line` as it was, so that it can be matched again once the branches change.
 */
export async function matchSquashes(line: GitLine): Promise<GitHistory> {
  const { squashCandidates, ...history } = line;
  if (line.tip === null) return history;
  const squashed = await squashedBranches(line.repo, line.tip, squashCandidates);
  return {
    ...history,
    changes: history.changes.map((c) =>
      c.branch === null && squashed.has(c.sha) ? { ...c, branch: squashed.get(c.sha)! } : c,
    ),
  };
}

// Settings a user's config could change and that would change what the parser reads: prefixes, quoting, inter-hunk
// context, text conversion, signatures and submodule logs. --diff-merges=first-parent needs git 2.31. Exported for
// the benchmark, whose baseline is git writing the same patches.
export const LOG_ARGS = [
  '-c',
  'core.quotepath=off',
  '-c',
  'diff.noprefix=false',
  '-c',
  'diff.mnemonicPrefix=false',
  'log',
  '--first-parent',
  '--reverse',
  '-p',
  // One line of context, not zero: see git-log-parse.ts on how -U0 can differ from --numstat.
  '--unified=1',
  '--inter-hunk-context=0',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-relative',
  '--no-show-signature',
  '--submodule=short',
  '--src-prefix=a/',
  '--dst-prefix=b/',
  '--diff-merges=first-parent',
  '-M',
  `--format=${LOG_FORMAT}`,
];

/** The email git commits with in `repo` (`git config user.email`), lower-cased; null where none is set. */
export async function committerEmail(repo: string): Promise<string | null> {
  const r = await runGit(repo, ['config', 'user.email']);
  const email = r.stdout.trim().toLowerCase();
  return r.code === 0 && email !== '' ? email : null;
}

/**
 * The commit `ref` names in `repo`; null when the repository has no commits at all. A few milliseconds: what a cache
 * of histories asks before it reads one again (history-cache.ts).
 */
export async function resolveRef(repo: string, ref: string): Promise<string | null> {
  const r = await runGit(repo, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
  if (r.code === 0) return r.stdout.trim();
  // Only now asked why: a request to a repository the server reads again and again spawns one git, not two.
  const dir = await runGit(repo, ['rev-parse', '--git-dir']);
  if (dir.code !== 0) throw badRepo(`${repo} is not a git repository`, dir.stderr);
  const any = await runGit(repo, ['rev-list', '-n', '1', '--all']);
  if (any.code === 0 && any.stdout.trim() === '') return null;
  throw badRepo(`${repo}: ref ${JSON.stringify(ref)} is not a commit`, r.stderr);
}

function badRepo(what: string, stderr: string): TokenledgerError {
  const line = stderr.split('\n').find((l) => l.startsWith('fatal:')) ?? stderr.trim().split('\n')[0] ?? '';
  return new TokenledgerError('ROI_BAD_REPO', `${what} (git: ${line || 'no message'})`);
}

/** Author and revert reference of each merged branch tip, in one call however many merges there are. */
async function readMergeTips(
  repo: string,
  shas: string[],
): Promise<Map<string, { email: string; name: string; revertOf: string | null }>> {
  const r = await runGit(
    repo,
    ['log', '--no-walk=unsorted', '--stdin', '--no-show-signature', '--format=%x1e%H%x1f%aE%x1f%aN%x1f%B'],
    `${[...new Set(shas)].join('\n')}\n`,
  );
  if (r.code !== 0) throw gitFailed(repo, 'reading the authors of merged branches', r.stderr);
  const tips = new Map<string, { email: string; name: string; revertOf: string | null }>();
  for (const rec of r.stdout.split('\x1e').slice(1)) {
    const [sha = '', email = '', name = '', ...body] = rec.split('\x1f');
    tips.set(sha, { email: email.toLowerCase(), name, revertOf: revertReference(body.join('\x1f')) });
  }
  return tips;
}
