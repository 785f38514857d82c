import { DAY_US } from '../ledger/time.js';
import { runGit as git, gitFailed } from './git-run.js';

/**
 * Squash merges matched to the branches they squashed (docs/roi.md, Agent spend behind merged branches). A squash
 * merge (GitHub's default "Squash and merge", `git merge --squash`) is one commit on the line whose message names no
 * branch; but while the branch is still in the repository, its changes since it left the line are the same patch as
 * the squash commit's, line numbers aside, which `git patch-id` says. A squash commit matched to exactly one branch
 * name is that branch's merge; one matching none (the branch deleted, or changed after it was squashed) or several
 * stays unmatched.
 */

/** A squash lands within this many days of its branch's last commit, or is not looked for: bounds what is read. */
const SQUASH_AFTER_DAYS = 30;

/** The patch options both sides are read with: the same text for the same change, whatever a user's config says. */
const PATCH = [
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-renames',
  '--no-relative',
  '--submodule=short',
];

export interface SquashCandidate {
  sha: string;
  /** Author time, epoch µs. */
  ts: number;
}

/**
 * The branch each of `candidates` (single-parent commits on the line of `tip`) squashed, by sha, for those matched.
 * Branches are the repository's local and remote-tracking ones not merged into `tip`, named as an agent records its
 * branch (a remote-tracking one without its remote).
 */
export async function squashedBranches(
  repo: string,
  tip: string,
  candidates: readonly SquashCandidate[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (candidates.length === 0) return found;
  const refs = await git(repo, [
    'for-each-ref',
    `--no-merged=${tip}`,
    '--format=%(objectname)%00%(committerdate:unix)%00%(refname)',
    'refs/heads',
    'refs/remotes',
  ]);
  if (refs.code !== 0) throw gitFailed(repo, 'listing branches', refs.stderr);
  // By tip: its names (a local branch and its remote-tracking copy are one), and when it was last committed to.
  const branches = new Map<string, { names: Set<string>; at: number }>();
  for (const line of refs.stdout.split('\n')) {
    const [sha = '', at = '', ref = ''] = line.split('\0');
    const name = branchName(ref);
    if (sha === '' || name === null) continue;
    const b = branches.get(sha) ?? { names: new Set<string>(), at: Number(at) * 1_000_000 };
    b.names.add(name);
    branches.set(sha, b);
  }
  // A branch and a commit are compared only when the commit came within SQUASH_AFTER_DAYS of the branch's last one
  // (a day before it too: clocks differ between machines).
  const near = (c: SquashCandidate, b: { at: number }) =>
    c.ts >= b.at - DAY_US && c.ts <= b.at + SQUASH_AFTER_DAYS * DAY_US;
  const tips = [...branches].filter(([, b]) => candidates.some((c) => near(c, b)));
  const commits = candidates.filter((c) => tips.some(([, b]) => near(c, b)));
  if (commits.length === 0) return found;

  // Each branch's changes since it left the line (tip...branch), then each commit's own, as patch ids. The branches
  // are read a few at a time: each is a git of its own, most of whose time is finding where the branch left.
  const diffs = new Map<string, string>();
  await eachAtOnce(tips, 4, async ([sha]) => {
    const d = await git(repo, ['diff', ...PATCH, `${tip}...${sha}`, '--']);
    if (d.code !== 0) throw gitFailed(repo, 'reading a branch for squash merges', d.stderr);
    diffs.set(sha, d.stdout);
  });
  let patches = '';
  for (const [sha] of tips) if (diffs.get(sha) !== '') patches += `commit ${sha}\n${diffs.get(sha)}`;
  const own = await git(
    repo,
    ['log', '--no-walk=unsorted', '--stdin', '-p', ...PATCH, '--format=commit %H'],
    `${commits.map((c) => c.sha).join('\n')}\n`,
  );
  if (own.code !== 0) throw gitFailed(repo, 'reading commits for squash merges', own.stderr);
  const ids = await git(repo, ['patch-id', '--stable'], patches + own.stdout);
  if (ids.code !== 0) throw gitFailed(repo, 'reading patch ids', ids.stderr);

  const namesOf = new Map<string, Set<string>>();
  const idOf = new Map<string, string>();
  for (const line of ids.stdout.split('\n')) {
    const [id = '', sha = ''] = line.split(' ');
    const b = branches.get(sha);
    if (b === undefined) idOf.set(sha, id);
    else namesOf.set(id, new Set([...(namesOf.get(id) ?? []), ...b.names]));
  }
  for (const c of commits) {
    const names = namesOf.get(idOf.get(c.sha) ?? '');
    if (names?.size === 1) found.set(c.sha, [...names][0]!);
  }
  return found;
}

/** The branch a ref names as an agent logs it: `refs/heads/x` and `refs/remotes/origin/x` are `x`; HEAD is none. */
function branchName(ref: string): string | null {
  const local = /^refs\/heads\/(.+)$/.exec(ref);
  if (local !== null) return local[1]!;
  const remote = /^refs\/remotes\/[^/]+\/(.+)$/.exec(ref);
  return remote === null || remote[1] === 'HEAD' ? null : remote[1]!;
}

/** Runs `work` on every item, at most `n` at a time. */
async function eachAtOnce<T>(
  items: readonly T[],
  n: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
