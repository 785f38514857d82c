import { z } from 'zod';
import { shareUnattributed, sharingProblem } from '../../allocation/share-unattributed.js';
import type { Bucket, Dimension, Query, QueryResult } from '../../store/query.js';
import { badParam } from './api-error.js';
import { type ApiContext, endpoint, FileReply } from './endpoint.js';
import { resultColumns, resultJson, toCsv } from './json.js';
import { bucket, dims, format, rangeParams, top } from './params.js';
import { parseDims, parseRange, parseZone, requestFilters } from './query-input.js';
import type { Principal } from './scope.js';

const resultSchema = z.object({
  rows: z
    .array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])))
    .describe(
      'dimension values under their own names, `bucket` when bucketed, then the measures; with `top`, `other`: true on the row that folds every group past the N (its dimension values read "other", like a group really named so), false on the rest',
    ),
  totals: z.record(z.string(), z.union([z.string(), z.number()])),
  unpriced: z.object({ events: z.number().int(), tokens: z.number().int() }),
});

interface GroupParams {
  since?: string | undefined;
  until?: string | undefined;
  tz?: string | undefined;
  where?: string[] | undefined;
  top?: number | undefined;
  format?: 'json' | 'csv' | undefined;
  share?: 'unattributed' | undefined;
}

const share = z
  .enum(['unattributed'])
  .optional()
  .describe(
    'split the cost of calls with no value of the one dimension among the groups with one, in proportion to their ' +
      'cost, bucket by bucket (docs/cli.md, report --share-unattributed): rows gain `shared_usd` and `allocated_usd`. ' +
      "A team viewer asks with dims=team and gets its own team's share of every team's",
  );

async function grouped(
  c: ApiContext,
  p: GroupParams,
  who: Principal,
  dimensions: Dimension[],
  b: Bucket | undefined,
  name: string,
): Promise<unknown> {
  const { since, until } = parseRange(p, c.now());
  const q: Query = {
    dimensions,
    filters: requestFilters(p.where, c.pricer, who),
    since,
    until,
    ...(b !== undefined ? { bucket: b, timeZone: parseZone(p.tz) } : {}),
    ...(p.top !== undefined ? { top: p.top } : {}),
  };
  const result = p.share === undefined ? await c.store.query(q) : await shared(c, p, who, q);
  const json = resultJson(result, p.top !== undefined);
  if (p.format === 'csv') {
    const header = resultColumns(
      dimensions,
      b !== undefined,
      p.top !== undefined,
      false,
      p.share !== undefined,
    );
    return new FileReply('text/csv; charset=utf-8', toCsv(json.rows, header), `${name}.csv`);
  }
  return json;
}

/**
 * `share=unattributed`: the rows of `q` with their shares (allocation/share-unattributed.ts). A team viewer's share is
 * of every team's cost, so it is worked out on the query without its scope, and only its own rows are answered, with
 * the totals of its own query: it learns what it is allocated, not what others spend.
 */
async function shared(c: ApiContext, p: GroupParams, who: Principal, q: Query): Promise<QueryResult> {
  const problem = sharingProblem(q);
  if (problem !== null) throw badParam('share', problem);
  const dimension = q.dimensions[0]!;
  if (who.team === null) return shareUnattributed(await c.store.query(q), dimension);
  if (dimension !== 'team')
    throw badParam('share', "a team viewer's share is of the calls with no team: ask with dims=team");
  const all = { ...q, filters: requestFilters(p.where, c.pricer, { ...who, team: null }) };
  const [own, every] = await Promise.all([c.store.query(q), c.store.query(all)]);
  const shares = new Map(
    shareUnattributed(every, dimension).rows.map((r) => [`${r.bucket}|${r.dims.team}`, r.shared_usd]),
  );
  return {
    ...own,
    rows: own.rows.map((r) => ({ ...r, shared_usd: shares.get(`${r.bucket}|${r.dims.team}`) ?? 0n })),
  };
}

export const breakdownEndpoint = endpoint({
  method: 'GET',
  path: '/api/breakdown',
  summary: 'Spend and tokens grouped by up to two dimensions, optionally by time bucket, top-N',
  params: { ...rangeParams, dims, bucket, top, format, share },
  response: resultSchema,
  handle: (c, p, who) => grouped(c, p, who, parseDims(p.dims, 2, ['team']), p.bucket, 'breakdown'),
});

export const timeseriesEndpoint = endpoint({
  method: 'GET',
  path: '/api/timeseries',
  summary: 'Spend over time (bucket default day), stacked by at most one dimension, top-N per range',
  params: { ...rangeParams, dims, bucket, top, format, share },
  response: resultSchema,
  handle: (c, p, who) => grouped(c, p, who, parseDims(p.dims, 1), p.bucket ?? 'day', 'timeseries'),
});
