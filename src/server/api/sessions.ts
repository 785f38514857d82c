import { z } from 'zod';
import { formatUsd } from '../../money/money.js';
import type { Row } from '../../store/query.js';
import { endpoint } from './endpoint.js';
import { rowJson, tokensOf } from './json.js';
import { rangeParams, top } from './params.js';
import { parseRange, parseWhere } from './query-input.js';
import { scopeFilters } from './scope.js';

/** The longest ordinary agent session runs ~250 calls (docs/demo.md); a loop that resends a prompt runs far past it. */
export const RUNAWAY_CALLS = 300;
/** …or costs this many times the median of the costliest sessions listed. */
export const RUNAWAY_COST_FACTOR = 10n;

/** Flags sessions that look like a runaway agent: far more calls than any normal session, or a cost outlier. */
export function runawayFlags(rows: readonly Row[]): boolean[] {
  const costs = rows.map((r) => r.cost_usd).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = costs.length === 0 ? 0n : costs[Math.floor(costs.length / 2)]!;
  return rows.map(
    (r) => r.requests >= RUNAWAY_CALLS || (median > 0n && r.cost_usd >= median * RUNAWAY_COST_FACTOR),
  );
}

export const sessionsEndpoint = endpoint({
  method: 'GET',
  path: '/api/sessions',
  summary: 'Cost per session and per agent; the costliest sessions with runaway flags',
  params: { ...rangeParams, top },
  response: z.object({
    sessions: z.array(z.record(z.string(), z.unknown())),
    agents: z.array(z.record(z.string(), z.unknown())),
  }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const filters = scopeFilters(parseWhere(p.where), who);
    const n = p.top ?? 20;
    // Ranked on session_id alone (a session's agent, person and team follow from it; hashing one key over the ~400k
    // sessions of a month costs half of hashing four), leaving out the events of no session. The session rollup
    // serves it unless a filter names another dimension.
    const [bySession, byAgent] = await Promise.all([
      c.store.query({
        dimensions: ['session_id', 'agent', 'user', 'team'],
        filters: [...filters, { dimension: 'session_id', values: [null], exclude: true }],
        since,
        until,
        top: n,
        rankByFirst: true,
      }),
      c.store.query({ dimensions: ['agent'], filters, since, until }),
    ]);
    // A session run under two agents or by two people has a row for each.
    const rows = bySession.rows.filter((r) => !r.folded);
    const flags = runawayFlags(rows);
    return {
      sessions: rows.map((r, i) => ({
        ...rowJson(r),
        tokens: tokensOf(r),
        cost_per_call_usd: formatUsd(r.requests === 0 ? 0n : r.cost_usd / BigInt(r.requests)),
        runaway: flags[i],
      })),
      agents: byAgent.rows.map((r) => ({ ...rowJson(r), tokens: tokensOf(r) })),
    };
  },
});
