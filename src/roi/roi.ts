import { formatUsd } from '../money/money.js';
import { type BranchHour, type SpendBehindMerges, spendBehindMerges } from './branch-spend.js';
import type { GitHistory } from './git-history.js';
import type { Identities } from './identities.js';
import { type People, peopleOf, type UserSpend } from './people.js';
import { type TierReport, tierReport } from './tiers.js';
import { periodsOf, type WithinPerson, withinPerson } from './within-person.js';

const WEEK_US = 7 * 86_400_000_000;

export interface RoiInput {
  histories: readonly GitHistory[];
  /** Each history's repository folder name: the `project` its agents' calls carry. */
  projects: readonly string[];
  spend: readonly UserSpend[];
  /** The spend of each of periodsOf(since, until), in order. */
  periodSpend: readonly (readonly UserSpend[])[];
  /** Calls on branches of those projects by the hour, from BRANCH_LOOKBACK_DAYS before the window (branch-spend.ts). */
  branchHours: readonly BranchHour[];
  ids: Identities;
  /** Epoch microseconds: since inclusive, until exclusive. */
  since: number;
  until: number;
}

export interface Roi {
  since: number;
  until: number;
  /** Per repository: its changes in the window, and file patches whose lines it could not follow (git-history.ts). */
  repos: { repo: string; ref: string; changes: number; skippedFiles: number }[];
  people: People;
  tiers: TierReport;
  withinPerson: WithinPerson;
  merges: SpendBehindMerges;
}

/**
 * Spend and outcomes of each person over the window, their tiers and what each step up a tier goes with, and the
 * same people compared with themselves across the window's periods.
 */
export function roiOf(input: RoiInput): Roi {
  const window = { since: input.since, until: input.until };
  const changes = input.histories.flatMap((h) => h.changes);
  const people = peopleOf(changes, input.spend, input.ids, window);
  const inWindow = (h: GitHistory) =>
    h.changes.filter((c) => c.ts >= window.since && c.ts < window.until).length;
  return {
    ...window,
    repos: input.histories.map((h) => ({
      repo: h.repo,
      ref: h.ref,
      changes: inWindow(h),
      skippedFiles: h.skipped.files,
    })),
    people,
    tiers: tierReport(people.people, (input.until - input.since) / WEEK_US),
    withinPerson: withinPerson(
      people.people,
      changes,
      input.periodSpend,
      input.ids,
      periodsOf(input.since, input.until),
    ),
    merges: spendBehindMerges(
      input.histories.map((h, i) => ({ repo: h.repo, project: input.projects[i]!, changes: h.changes })),
      input.branchHours,
      window,
    ),
  };
}

/** The report as JSON: money as exact USD decimal strings, as everywhere in the API. */
export function roiJson(r: Roi): unknown {
  const iso = (us: number) => new Date(us / 1000).toISOString();
  return {
    since: iso(r.since),
    until: iso(r.until),
    weeks: r.tiers.weeks,
    repos: r.repos.map(({ skippedFiles, ...x }) => ({ ...x, skipped_files: skippedFiles })),
    median_spend_usd: formatUsd(r.tiers.median),
    tiers: r.tiers.tiers.map((t) => ({
      tier: t.tier,
      people: t.people,
      spend_usd: formatUsd(t.spend),
      spend_share: t.spendShare,
      spend_per_person_usd: formatUsd(t.spendPerPerson),
      cost_per_shipped_usd: t.costPerShipped === null ? null : formatUsd(t.costPerShipped),
      shipped_per_person_week: t.shippedPerPersonWeek,
      lines_added_per_person_week: t.linesAddedPerPersonWeek,
      rework_rate: t.reworkRate,
      revert_rate: t.revertRate,
    })),
    steps: r.tiers.steps.map((s) => ({
      from: s.from,
      to: s.to,
      extra_spend_per_person_week_usd: formatUsd(s.extraSpendPerPersonWeek),
      extra_shipped_per_person_week: s.extraShippedPerPersonWeek,
      shipped_per_100_usd: s.shippedPer100Usd,
      interval_90: s.interval,
    })),
    within_person: {
      periods: r.withinPerson.periods.map((p) => ({ since: iso(p.since), until: iso(p.until) })),
      people: r.withinPerson.people,
      shipped_per_100_usd: r.withinPerson.shippedPer100Usd,
      interval_90: r.withinPerson.interval,
    },
    spend_behind_merges: {
      merges: r.merges.merges,
      total_usd: formatUsd(r.merges.total),
      reverted_usd: formatUsd(r.merges.reverted),
      median_usd: r.merges.median === null ? null : formatUsd(r.merges.median),
      spent: r.merges.spent.map((m) => ({
        repo: m.repo,
        sha: m.sha,
        branch: m.branch,
        email: m.email,
        name: m.name,
        merged_at: iso(m.ts),
        reverted: m.reverted,
        cost_usd: formatUsd(m.cost_usd),
        events: m.events,
        unpriced_events: m.unpriced_events,
      })),
    },
    people: r.people.people.map((p, i) => ({
      person: p.person,
      names: p.names,
      tier: r.tiers.tierOfPerson[i],
      spend_usd: formatUsd(p.spend),
      unpriced_events: p.unpricedEvents,
      changes: p.changes,
      shipped: p.shipped,
      reverted: p.reverted,
      reverts: p.reverts,
      lines_added: p.linesAdded,
      lines_deleted: p.linesDeleted,
      settled_lines: p.settledLines,
      reworked_lines: p.reworkedLines,
    })),
    unmatched: { ...r.people.unmatched, cost_usd: formatUsd(r.people.unmatched.cost_usd) },
    unattributed: { ...r.people.unattributed, cost_usd: formatUsd(r.people.unattributed.cost_usd) },
    bot_changes: r.people.botChanges,
  };
}
