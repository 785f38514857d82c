import { z } from 'zod';
import { roiJson } from '../../roi/roi.js';
import { defaultSince, roiReport } from '../../roi/roi-report.js';
import { TIERS } from '../../roi/tiers.js';
import { ApiError } from './api-error.js';
import { endpoint } from './endpoint.js';
import { rangeParams } from './params.js';
import { parseRange, requestFilters } from './query-input.js';

const money = z.string().describe('USD, decimal string with 12 fractional digits');
const tier = z.enum(TIERS);
const interval = z
  .tuple([z.number(), z.number()])
  .nullable()
  .describe('90% bootstrap interval; null: too few people');

export const roiEndpoint = endpoint({
  method: 'GET',
  path: '/api/roi',
  summary:
    "each person's spend beside the work git shows they shipped, by usage tier; the repositories are the config's " +
    '`roi:` (docs/roi.md). Admin only: it names people and their output',
  // Per-person output is not a team's spend to browse: only admins see it, as only they see every team.
  admin: true,
  params: rangeParams,
  response: z.object({
    since: z.string(),
    until: z.string(),
    weeks: z.number(),
    repos: z.array(
      z.object({
        repo: z.string(),
        ref: z.string(),
        changes: z.number().int(),
        skipped_files: z.number().int(),
      }),
    ),
    median_spend_usd: money,
    tiers: z.array(
      z.object({
        tier,
        people: z.number().int(),
        spend_usd: money,
        spend_share: z.number(),
        spend_per_person_usd: money,
        cost_per_shipped_usd: money.nullable(),
        shipped_per_person_week: z.number(),
        lines_added_per_person_week: z.number(),
        rework_rate: z.number().nullable(),
        revert_rate: z.number().nullable(),
      }),
    ),
    steps: z.array(
      z.object({
        from: tier,
        to: tier,
        extra_spend_per_person_week_usd: money,
        extra_shipped_per_person_week: z.number(),
        shipped_per_100_usd: z.number(),
        interval_90: interval,
      }),
    ),
    within_person: z.object({
      periods: z.array(z.object({ since: z.string(), until: z.string() })),
      people: z.number().int(),
      shipped_per_100_usd: z.number().nullable(),
      interval_90: interval,
    }),
    spend_behind_merges: z
      .object({
        merges: z.number().int(),
        total_usd: money,
        reverted_usd: money,
        median_usd: money.nullable(),
        spent: z.array(
          z.object({
            repo: z.string(),
            sha: z.string(),
            branch: z.string(),
            email: z.string(),
            name: z.string(),
            merged_at: z.string(),
            reverted: z.boolean(),
            cost_usd: money,
            events: z.number().int(),
            unpriced_events: z.number().int(),
          }),
        ),
      })
      .describe("agents' calls on each merged branch before its merge (docs/roi.md), costliest first"),
    people: z.array(z.object({ person: z.string(), tier, spend_usd: money }).catchall(z.unknown())),
    unmatched: z.object({ users: z.array(z.string()), cost_usd: money, unpriced_events: z.number().int() }),
    unattributed: z.object({ cost_usd: money, events: z.number().int() }),
    bot_changes: z.number().int(),
  }),
  async handle(c, p, who) {
    if (!c.roi)
      throw new ApiError(
        'API_NOT_FOUND',
        'no repositories to read: set `roi: { repos: [...] }` in the config file (docs/roi.md) and restart',
      );
    const range = parseRange(p, c.now());
    // As `tokenledger roi`: the default window, not the other routes' 30 days.
    const since = p.since === undefined ? await defaultSince(c.store, range.until) : range.since;
    const until = range.until;
    const filters = requestFilters(p.where, c.pricer, who);
    return roiJson(await roiReport(c.store, c.roi, { since, until, filters }));
  },
});
