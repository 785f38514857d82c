import { z } from 'zod';
import { tokensOf } from '../../metrics/economics.js';
import { formatUsd } from '../../money/money.js';
import type { Row } from '../../store/query.js';
import { endpoint } from './endpoint.js';
import { rowJson } from './json.js';
import { rangeParams, top } from './params.js';
import { parseRange, requestFilters } from './query-input.js';

/** The longest ordinary agent session runs ~250 calls (docs/demo.md); a loop that resends a prompt runs far past it. */
const RUNAWAY_CALLS = 300;
/** …or costs this many times the median of the costliest sessions listed that are wholly priced. */
const RUNAWAY_COST_FACTOR = 10n;

/**
 * Flags sessions that look like a runaway agent: far more calls than any normal session, or a cost outlier. The
 * median leaves out rows with unpriced events: their cost is a floor ($0 when none is priced), and a list padded with
 * them would pull it down until ordinary sessions look like outliers.
 */
function runawayFlags(rows: readonly Row[]): boolean[] {
  const costs = rows
    .filter((r) => r.unpriced_events === 0)
    .map((r) => r.cost_usd)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = costs.length === 0 ? 0n : costs[Math.floor(costs.length / 2)]!;
  return rows.map(
    (r) => r.requests >= RUNAWAY_CALLS || (median > 0n && r.cost_usd >= median * RUNAWAY_COST_FACTOR),
  );
}

/** How many of the sessions with the most calls the page lists beside the costliest. */
const LONGEST_SESSIONS = 5;

export const sessionsEndpoint = endpoint({
  method: 'GET',
  path: '/api/sessions',
  summary:
    'Cost per session and per agent; the costliest sessions with runaway flags, and the longest by calls',
  // No folded row here (the sessions past the N are not summed): breakdown's description of `top` would promise one.
  params: { ...rangeParams, top: top.describe('the N costliest sessions over the range (default 20)') },
  response: z.object({
    sessions: z.array(z.record(z.string(), z.unknown())),
    longest: z.array(z.record(z.string(), z.unknown())),
    agents: z.array(z.record(z.string(), z.unknown())),
  }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const filters = requestFilters(p.where, c.pricer, who);
    const n = p.top ?? 20;
    // Ranked on session_id alone (a session's agent, person and team follow from it; hashing one key over the ~400k
    // sessions of a month costs half of hashing four), by cost and by calls in the same pass, leaving out the events
    // of no session, and not summing the rest (no "other" row: the page does not show it). The session rollup serves
    // it unless a filter names another dimension.
    const [bySession, byAgent] = await Promise.all([
      c.store.query({
        dimensions: ['session_id', 'agent', 'user', 'team'],
        filters: [...filters, { dimension: 'session_id', values: [null], exclude: true }],
        since,
        until,
        top: n,
        topRequests: LONGEST_SESSIONS,
        rankByFirst: true,
        other: false,
      }),
      c.store.query({ dimensions: ['agent'], filters, since, until }),
    ]);
    // A session run under two agents or by two people has a row for each; the rows hold both lists' sessions, so
    // each list is found again from their sums (ties by session id, as the store ranks them).
    const rows = bySession.rows.filter((r) => !r.folded);
    const sums = new Map<string, { cost: bigint; calls: number; first: Row }>();
    for (const r of rows) {
      const id = r.dims.session_id!;
      const t = sums.get(id) ?? { cost: 0n, calls: 0, first: r };
      t.cost += r.cost_usd;
      t.calls += r.requests;
      sums.set(id, t);
    }
    const ids = [...sums.keys()].sort();
    const costliest = new Map(
      [...ids]
        .sort((a, b) => byDesc(sums.get(a)!.cost, sums.get(b)!.cost))
        .slice(0, n)
        .map((id, i) => [id, i]),
    );
    const longest = [...ids]
      .sort((a, b) => byDesc(sums.get(a)!.calls, sums.get(b)!.calls))
      .slice(0, LONGEST_SESSIONS);
    const listed = rows
      .filter((r) => costliest.has(r.dims.session_id!))
      .sort((a, b) => costliest.get(a.dims.session_id!)! - costliest.get(b.dims.session_id!)!);
    const flags = runawayFlags(listed);
    return {
      sessions: listed.map((r, i) => ({
        ...rowJson(r),
        tokens: tokensOf(r),
        cost_per_call_usd: formatUsd(r.requests === 0 ? 0n : r.cost_usd / BigInt(r.requests)),
        runaway: flags[i],
      })),
      longest: longest.map((id) => {
        const t = sums.get(id)!;
        return {
          session_id: id,
          agent: t.first.dims.agent ?? null,
          user: t.first.dims.user ?? null,
          requests: t.calls,
          cost_usd: formatUsd(t.cost),
        };
      }),
      agents: byAgent.rows.map((r) => ({ ...rowJson(r), tokens: tokensOf(r) })),
    };
  },
});

/** Descending order of two amounts; Array.sort is stable, so equal ones keep their (session id) order. */
function byDesc(a: bigint | number, b: bigint | number): number {
  return a < b ? 1 : a > b ? -1 : 0;
}
