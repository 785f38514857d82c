import { basename, resolve } from 'node:path';
import { DAY_US, utcDay } from '../ledger/time.js';
import type { Filter } from '../store/query.js';
import type { Store } from '../store/store.js';
import { BRANCH_LOOKBACK_DAYS } from './branch-spend.js';
import { type GitHistory, readGitHistory } from './git-history.js';
import { mapAtOnce } from './git-run.js';
import { HistoryCache } from './history-cache.js';
import { type Identities, readPeopleFile, SAME_NAMES } from './identities.js';
import type { UserSpend } from './people.js';
import { type Roi, roiOf } from './roi.js';
import { periodsOf } from './within-person.js';

/** The window when none is given: a quarter, long enough for a person's weeks to even out, three periods long. */
export const DEFAULT_WINDOW_DAYS = 90;

/**
 * The window's start when none is given: the start of the UTC day DEFAULT_WINDOW_DAYS before `until`, or, where the
 * ledger's calls begin later, the start of its first day with calls. Weeks of work are set beside weeks of spend:
 * a ledger begun last week read against a quarter of commits would put a week's spend beside thirteen weeks' work,
 * and compare each person's periods of no recorded spend with the one that has it. Whole UTC days, so that the
 * window, its periods and the branches' look-back before it read from the ledger's daily sums where a raw retention
 * kept only those (docs/store.md, Raw retention).
 */
export async function defaultSince(store: Store, until: number): Promise<number> {
  const quarter = utcDay(until - DEFAULT_WINDOW_DAYS * DAY_US);
  // A ledger with calls before the quarter began before it: days without calls in it are days nobody spent.
  if ((await store.query({ dimensions: [], until: quarter })).totals.events > 0) return quarter;
  const days = await store.query({ dimensions: [], bucket: 'day', since: quarter, until });
  const first = days.rows.find((r) => r.events > 0)?.bucket;
  return first === undefined ? quarter : Math.max(quarter, Date.parse(first) * 1000);
}

/** Where the work is read from: repositories, the branch whose line is shipped work, and who is who. */
export interface RoiSource {
  repos: readonly string[];
  ref: string;
  ids: Identities;
  /** Where histories come from: git each time (the CLI), or the server's HistoryCache. */
  read?: (repo: string, ref: string) => Promise<GitHistory>;
}

/**
 * The server's source from its config's `roi:` (paths relative to `baseDir`, the config file's folder), the people
 * file read now so a broken one stops the start-up, not the first request, histories kept between requests while
 * their tips stay put; null where `roi:` is not set.
 */
export function roiSourceOf(
  roi: { repos: readonly string[]; ref: string; people: string | null } | null,
  baseDir: string,
): RoiSource | null {
  if (roi === null) return null;
  const cache = new HistoryCache();
  return {
    repos: roi.repos.map((r) => resolve(baseDir, r)),
    ref: roi.ref,
    ids: roi.people === null ? SAME_NAMES : readPeopleFile(resolve(baseDir, roi.people)),
    read: (repo, ref) => cache.get(repo, ref),
  };
}

/**
 * The ROI report over a window: each repository's history read from git, the ledger's spend by user over each of
 * the window's periods and so over the window (only the calls `filters` select), joined (roi.ts). The one path the
 * CLI and the API share.
 */
export async function roiReport(
  store: Store,
  source: RoiSource,
  q: { since: number; until: number; filters: readonly Filter[] },
): Promise<Roi> {
  // Whole histories: a merge before the window still bounds the calls a merge of the same branch in it counts.
  const read = source.read ?? ((repo, ref) => readGitHistory(repo, { ref }));
  // Several at once: a read the server kept still asks git where the tip and the branches are, a few processes
  // each (the demo's 30 repositories took 2.6-2.9 s one after another).
  const histories = await mapAtOnce(source.repos, 8, (repo) => read(repo, source.ref));
  const projects = source.repos.map((r) => basename(resolve(r)));
  const byUser = async (range: { since: number; until: number }): Promise<UserSpend[]> =>
    (await store.query({ dimensions: ['user'], filters: q.filters, ...range })).rows.map((r) => ({
      user: r.dims.user ?? null,
      cost_usd: r.cost_usd,
      unpriced_events: r.unpriced_events,
      events: r.events,
    }));
  const periods = periodsOf(q.since, q.until);
  const periodSpend = [];
  for (const p of periods) periodSpend.push(await byUser(p));
  // The periods cut the window whole: its spend is theirs summed, not a query of its own.
  const spend = periods.length === 0 ? await byUser(q) : sumByUser(periodSpend.flat());
  const branches = await store.query({
    dimensions: ['project', 'tag.git_branch'],
    filters: [
      ...q.filters,
      { dimension: 'project', values: projects },
      { dimension: 'tag.git_branch', values: [null], exclude: true },
    ],
    since: q.since - BRANCH_LOOKBACK_DAYS * DAY_US,
    until: q.until,
    bucket: 'hour',
  });
  const branchHours = branches.rows.map((r) => ({
    project: r.dims.project!,
    branch: r.dims['tag.git_branch']!,
    hour: Date.parse(r.bucket!) * 1000,
    cost_usd: r.cost_usd,
    events: r.events,
    unpriced_events: r.unpriced_events,
  }));
  return roiOf({
    histories,
    projects,
    spend,
    periodSpend,
    branchHours,
    ids: source.ids,
    since: q.since,
    until: q.until,
  });
}

function sumByUser(rows: readonly UserSpend[]): UserSpend[] {
  const byUser = new Map<string | null, UserSpend>();
  for (const r of rows) {
    const s = byUser.get(r.user);
    if (s === undefined) byUser.set(r.user, { ...r });
    else {
      s.cost_usd += r.cost_usd;
      s.unpriced_events += r.unpriced_events;
      s.events += r.events;
    }
  }
  return [...byUser.values()];
}
