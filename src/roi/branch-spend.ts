import { DAY_US } from '../ledger/time.js';
import type { GitChange } from './git-history.js';
import { medianSpend } from './tiers.js';

/**
 * How long before its merge a branch's calls count for it. A branch lives days to weeks; calls older than this on a
 * branch of the same name are most often earlier work under a reused name ("fix-tests").
 */
export const BRANCH_LOOKBACK_DAYS = 30;

/** The ledger's calls on one branch of one project in one hour (a row of a query by project, tag.git_branch, hour). */
export interface BranchHour {
  project: string;
  branch: string;
  /** Start of the hour, epoch µs. */
  hour: number;
  /** Pico-dollars. */
  cost_usd: bigint;
  events: number;
  unpriced_events: number;
}

/** A merge in the window and the calls an agent made on its branch before it. */
export interface MergeSpend {
  repo: string;
  sha: string;
  branch: string;
  /** The merged branch's author (git-history.ts). */
  email: string;
  name: string;
  ts: number;
  reverted: boolean;
  /** Pico-dollars. */
  cost_usd: bigint;
  events: number;
  unpriced_events: number;
}

export interface SpendBehindMerges {
  /** Merges in the window whose branch is known: named by their message, or squashed from one still there. */
  merges: number;
  /** Of them, those with calls on their branch, costliest first. */
  spent: MergeSpend[];
  /** Pico-dollars, as the two after it. */
  total: bigint;
  /** Behind merges a later change reverted. */
  reverted: bigint;
  /** The median of what the merges whose calls cost anything cost (tiers.ts, medianSpend); null for none. */
  median: bigint | null;
}

/**
 * What the agent calls on each merged branch cost: a call counts for a merge when its project is the repository's
 * folder name, its `git_branch` tag the branch the merge names, and it was made after the branch's previous merge
 * (a branch merged twice) and at most BRANCH_LOOKBACK_DAYS before this one. Read by the hour: the calls of an hour
 * count for the first merge made in it or after its start.
 */
export function spendBehindMerges(
  repos: readonly { repo: string; project: string; changes: readonly GitChange[] }[],
  hours: readonly BranchHour[],
  window: { since: number; until: number },
): SpendBehindMerges {
  const byBranch = new Map<string, BranchHour[]>();
  for (const h of hours) {
    const key = `${h.project}\0${h.branch}`;
    const list = byBranch.get(key);
    if (list === undefined) byBranch.set(key, [h]);
    else list.push(h);
  }
  let merges = 0;
  const spent: MergeSpend[] = [];
  for (const r of repos) {
    const lastMerge = new Map<string, number>();
    for (const c of [...r.changes].sort((a, b) => a.ts - b.ts)) {
      if (c.branch === null) continue;
      const previous = lastMerge.get(c.branch) ?? Number.NEGATIVE_INFINITY;
      lastMerge.set(c.branch, c.ts);
      if (c.ts < window.since || c.ts >= window.until) continue;
      merges++;
      const from = Math.max(previous, c.ts - BRANCH_LOOKBACK_DAYS * DAY_US);
      const m: MergeSpend = {
        repo: r.repo,
        sha: c.sha,
        branch: c.branch,
        email: c.email,
        name: c.name,
        ts: c.ts,
        reverted: c.reverted,
        cost_usd: 0n,
        events: 0,
        unpriced_events: 0,
      };
      for (const h of byBranch.get(`${r.project}\0${c.branch}`) ?? []) {
        // An hour is the first merge's made in it or after its start: the hour of the previous merge was that one's.
        if (h.hour > c.ts || h.hour <= from) continue;
        m.cost_usd += h.cost_usd;
        m.events += h.events;
        m.unpriced_events += h.unpriced_events;
      }
      if (m.events > 0) spent.push(m);
    }
  }
  spent.sort((a, b) => (a.cost_usd === b.cost_usd ? a.ts - b.ts : a.cost_usd > b.cost_usd ? -1 : 1));
  const sum = (ms: readonly MergeSpend[]) => ms.reduce((s, m) => s + m.cost_usd, 0n);
  const median = medianSpend(spent.map((m) => m.cost_usd));
  return {
    merges,
    spent,
    total: sum(spent),
    reverted: sum(spent.filter((m) => m.reverted)),
    median: median === 0n ? null : median,
  };
}
