import { z } from 'zod';
import type { Budget } from '../../budgets/budget.js';
import { TokenledgerError } from '../../errors.js';
import { findSourceOverlaps } from '../../ledger/source-overlap.js';
import { monthBounds } from '../../ledger/time.js';
import { cacheSavings, costPerMillion, tokensOf } from '../../metrics/economics.js';
import { formatUsd, parseDecimal } from '../../money/money.js';
import type { Pricer } from '../../pricing/pricer.js';
import type { Filter } from '../../store/query.js';
import { endpoint } from './endpoint.js';
import { rangeParams } from './params.js';
import { parseRange, parseZone, requestFilters } from './query-input.js';

const money = z.string().describe('USD, decimal string with 12 fractional digits');

/** Straight-line run rate: spend so far × month length / time elapsed. Forecasts are estimates, never billed. */
function linearForecast(spent: bigint, start: number, end: number, now: number): bigint {
  const elapsed = Math.max(now - start, 3_600_000_000); // an hour at least, so the 1st of a month does not explode
  return (spent * BigInt(end - start)) / BigInt(elapsed);
}

export const summaryEndpoint = endpoint({
  method: 'GET',
  path: '/api/summary',
  summary: 'KPIs of a range: spend, tokens, cost per 1M tokens, cache savings, month-to-date and forecast',
  params: rangeParams,
  response: z.object({
    since: z.string(),
    until: z.string(),
    cost_usd: money,
    tokens: z.number().int(),
    requests: z.number().int(),
    events: z.number().int(),
    cost_per_1m_tokens_usd: money,
    cache_savings_usd: money,
    unpriced: z.object({ events: z.number().int(), tokens: z.number().int() }),
    previous: z.object({
      since: z.string(),
      until: z.string(),
      cost_usd: money
        .nullable()
        .describe(
          "Null where the period starts in the middle of a day before a ClickHouse ledger's raw horizon, whose calls are kept only as daily sums (docs/store.md, Raw retention): its spend cannot be summed exactly",
        ),
      complete: z
        .boolean()
        .describe(
          'Whether the ledger holds events (with the same filters) from before the previous period began. When false, recording began inside it or later, so a change against it measures when recording began, not spend; false too where `cost_usd` is null',
        ),
    }),
    month: z.object({
      start: z.string(),
      spend_usd: money,
      forecast_usd: money,
      budget_usd: money.nullable(),
    }),
    overlaps: z
      .array(
        z.object({
          provider: z.string(),
          sources: z.array(z.string()),
          bucket_seconds: z
            .array(z.number().int())
            .describe(
              'When set, the one export in `sources` holds the same days at these bucket widths (seconds); empty for an overlap of sources',
            ),
          first: z.string().describe('UTC day, YYYY-MM-DD'),
          last: z.string().describe('UTC day, YYYY-MM-DD'),
          days: z.number().int(),
        }),
      )
      .describe(
        "Days on which a provider's usage is in the range both as its export (openai-usage, anthropic-usage, Claude Code analytics) and from other sources, or from one export at several bucket widths: where they describe the same calls, the totals count them twice",
      ),
  }),
  async handle(c, p, who) {
    const now = c.now();
    const { since, until } = parseRange(p, now);
    const filters = requestFilters(p.where, c.pricer, who);
    // The month of the range's zone: month-to-date and its forecast are that zone's calendar month.
    const month = monthBounds(now, parseZone(p.tz));
    const prevSince = since - (until - since);
    // The previous period is a comparison: where a raw retention kept only the daily sums of its start, it is left
    // out rather than the summary failing (the range itself still must be answerable).
    const unlessRetired = <T>(read: Promise<T>) =>
      read.catch((e: unknown) => {
        if (e instanceof TokenledgerError && e.code === 'STORE_RAW_RETIRED') return null;
        throw e;
      });
    // Side by side: the store reads a rollup on a connection of its own per report (team-level rollup unless a
    // filter names a person).
    const [byModel, prev, before, mtd, overlaps] = await Promise.all([
      c.store.query({ dimensions: ['model', 'cost_source'], filters, since, until }),
      unlessRetired(c.store.query({ dimensions: [], filters, since: prevSince, until: since })),
      unlessRetired(c.store.query({ dimensions: [], filters, until: prevSince })),
      c.store.query({ dimensions: [], filters, since: month.start, until: now }),
      findSourceOverlaps(c.store, { filters, since, until }),
    ]);
    const t = byModel.totals;
    const tokens = tokensOf(t);
    const iso = (us: number) => new Date(us / 1000).toISOString();
    return {
      since: iso(since),
      until: iso(until),
      cost_usd: formatUsd(t.cost_usd),
      tokens,
      requests: t.requests,
      events: t.events,
      cost_per_1m_tokens_usd: formatUsd(costPerMillion(t.cost_usd, tokens - byModel.unpriced.tokens)),
      cache_savings_usd: formatUsd(cacheSavings(byModel)),
      unpriced: byModel.unpriced,
      previous: {
        since: iso(prevSince),
        until: iso(since),
        cost_usd: prev === null ? null : formatUsd(prev.totals.cost_usd),
        complete: prev !== null && before !== null && before.totals.events > 0,
      },
      month: {
        start: iso(month.start),
        spend_usd: formatUsd(mtd.totals.cost_usd),
        forecast_usd: formatUsd(linearForecast(mtd.totals.cost_usd, month.start, month.end, now)),
        budget_usd: monthlyBudgetFor(c.budgets.all(), filters, c.pricer),
      },
      overlaps,
    };
  },
});

/**
 * The monthly budget for exactly what the summary shows: the one whose scope is the filters in force (the whole
 * organisation with none; the team for a team viewer). Null when no budget has that scope. Models compare by the
 * canonical id their names resolve to: a filter on a dated name (`claude-sonnet-4-5-20250929`) holds that name and
 * its id (query-input.ts), one model's events, and a budget may name the model either way (budgets/scope-filters.ts).
 */
function monthlyBudgetFor(
  budgets: readonly Budget[],
  filters: readonly Filter[],
  pricer: Pick<Pricer, 'resolve'> | null,
): string | null {
  const model = (name: string, provider: string | null = null) =>
    pricer?.resolve(name, provider)?.model ?? name;
  const view: Record<string, string> = {};
  for (const f of filters) {
    // A value given twice (`where=team=web&where=team=web`, a link the dashboard shows as one chip) is one value.
    const values = [...new Set(f.values.map((v) => (f.dimension === 'model' && v !== null ? model(v) : v)))];
    if (values.length !== 1 || values[0] === null) return null;
    view[f.dimension] = values[0]!;
  }
  const keys = Object.keys(view);
  const b = budgets.find(
    (x) =>
      x.period.kind === 'monthly' &&
      Object.keys(x.scope).length === keys.length &&
      keys.every((k) => {
        const v = x.scope[k];
        return v !== undefined && (k === 'model' ? model(v, x.scope.provider ?? null) : v) === view[k];
      }),
  );
  return b === undefined ? null : formatUsd(parseDecimal(b.limit_usd));
}
