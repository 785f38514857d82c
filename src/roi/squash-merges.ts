import { createHash } from 'node:crypto';
import { DAY_US } from '../ledger/time.js';
import { runGit as git, gitFailed, mapAtOnce } from './git-run.js';

/**
 * Squash merges matched to the branches they squashed (docs/roi.md, Agent spend behind merged branches). A squash
 * merge (GitHub's default "Squash and merge", `git merge --squash`) is one commit on the line whose message names no
 * branch; but while the branch is still in the repository, its changes since it left the line are the same patch as
 * the squash commit's, line numbers aside, which `git patch-id` says. A squash commit matched to exactly one branch
 * name is that branch's merge; one matching none (the branch deleted, or changed after it was squashed) or several
 * stays unmatched.
 */

/**
 * A squash is looked for within this many days of its branch's last commit, either side: bounds what is read. Either
 * side, as its author time may be the merge's (GitHub's squash of several commits) or its one commit's, which a
 * branch rebased later has committed after it.
 */
const SQUASH_WITHIN_DAYS = 30;

/** The patch options both sides are read with: the same text for the same change, whatever a user's config says. */
const PATCH = [
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-renames',
  '--no-relative',
  '--submodule=short',
];

/** The options a branch's lines are counted with, as the history counts a commit's (git-history.ts, LOG_ARGS). */
const COUNT = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-relative'];

export interface SquashCandidate {
  sha: string;
  /** Author time, epoch µs. */
  ts: number;
  /** Lines the commit added and deleted, as `git log --numstat -M` counts them (a binary file's as none). */
  linesAdded: number;
  linesDeleted: number;
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
  // A branch and a commit are compared only when the commit is within SQUASH_WITHIN_DAYS of the branch's last one,
  // and adds and deletes as many lines as the branch did since it left the line (tip...branch): a count first, as
  // reading the commits' patches again would cost as much as the history itself.
  const near = (c: SquashCandidate, b: { at: number }) =>
    Math.abs(c.ts - b.at) <= SQUASH_WITHIN_DAYS * DAY_US;
  const tips = [...branches].filter(([, b]) => candidates.some((c) => near(c, b)));
  const counts = new Map(
    await mapAtOnce(tips, 4, async ([sha]) => {
      const d = await git(repo, ['diff', '--numstat', '-M', ...COUNT, `${tip}...${sha}`, '--']);
      if (d.code !== 0) throw gitFailed(repo, 'counting a branch for squash merges', d.stderr);
      let [added, deleted] = [0, 0];
      for (const line of d.stdout.split('\n')) {
        const [a = '', b = ''] = line.split('\t');
        added += Number(a) || 0; // '-' for a binary file
        deleted += Number(b) || 0;
      }
      return [sha, added + deleted > 0 ? `${added} ${deleted}` : null] as const;
    }),
  );
  const sameSize = (c: SquashCandidate, sha: string) =>
    counts.get(sha) === `${c.linesAdded} ${c.linesDeleted}`;
  const pairs = tips.filter(([sha, b]) => candidates.some((c) => near(c, b) && sameSize(c, sha)));
  const commits = candidates.filter((c) => pairs.some(([sha, b]) => near(c, b) && sameSize(c, sha)));
  if (commits.length === 0) return found;

  // Those branches' changes and those commits' own, as patch ids.
  const diffs = await mapAtOnce(pairs, 4, async ([sha]) => {
    const d = await git(repo, ['diff', ...PATCH, `${tip}...${sha}`, '--']);
    if (d.code !== 0) throw gitFailed(repo, 'reading a branch for squash merges', d.stderr);
    return `commit ${sha}\n${d.stdout}`;
  });
  const patches = diffs.join('');
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

/**
 * The branches squash matching reads, as a digest of every local and remote-tracking ref with its commit (a
 * repository may hold thousands). Equal digests match the same squashes on the same line; a few milliseconds, what a
 * cache asks before matching again.
 */
export async function branchTips(repo: string): Promise<string> {
  const refs = await git(repo, [
    'for-each-ref',
    '--format=%(objectname) %(refname)',
    'refs/heads',
    'refs/remotes',
  ]);
  if (refs.code !== 0) throw gitFailed(repo, 'listing branches', refs.stderr);
  return createHash('sha256').update(refs.stdout).digest('hex');
}

/** The branch a ref names as an agent logs it: `refs/heads/x` and `refs/remotes/origin/x` are `x`; HEAD is none. */
function branchName(ref: string): string | null {
  const local = /^refs\/heads\/(.+)$/.exec(ref);
  if (local !== null) return local[1]!;
  const remote = /^refs\/remotes\/[^/]+\/(.+)$/.exec(ref);
  return remote === null || remote[1] === 'HEAD' ? null : remote[1]!;
}
