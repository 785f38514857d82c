export type Interval = [number, number] | null;

/** GET /api/roi, as docs/roi.md and docs/api.md describe it. */
export interface RoiReport {
  since: string;
  until: string;
  weeks: number;
  median_spend_usd: string;
  repos: { repo: string; ref: string; changes: number; skipped_files: number }[];
  tiers: {
    tier: string;
    people: number;
    spend_usd: string;
    spend_share: number;
    spend_per_person_usd: string;
    cost_per_shipped_usd: string | null;
    shipped_per_person_week: number;
    lines_added_per_person_week: number;
    rework_rate: number | null;
    revert_rate: number | null;
  }[];
  steps: { from: string; to: string; shipped_per_100_usd: number; interval_90: Interval }[];
  within_person: {
    periods: { since: string; until: string }[];
    people: number;
    shipped_per_100_usd: number | null;
    interval_90: Interval;
  };
  people: {
    person: string;
    tier: string;
    spend_usd: string;
    changes: number;
    shipped: number;
    reverted: number;
    settled_lines: number;
    reworked_lines: number;
  }[];
  spend_behind_merges: {
    merges: number;
    total_usd: string;
    reverted_usd: string;
    median_usd: string | null;
    spent: {
      sha: string;
      branch: string;
      name: string;
      merged_at: string;
      reverted: boolean;
      cost_usd: string;
      events: number;
    }[];
  };
  unmatched: { users: string[]; cost_usd: string };
  unattributed: { cost_usd: string; events: number };
  bot_changes: number;
}
