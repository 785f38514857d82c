import { z } from 'zod';
import type { Bucket, Dimension } from '../../store/query.js';
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
}

async function grouped(
  c: ApiContext,
  p: GroupParams,
  who: Principal,
  dimensions: Dimension[],
  b: Bucket | undefined,
  name: string,
): Promise<unknown> {
  const { since, until } = parseRange(p, c.now());
  const result = await c.store.query({
    dimensions,
    filters: requestFilters(p.where, c.pricer, who),
    since,
    until,
    ...(b !== undefined ? { bucket: b, timeZone: parseZone(p.tz) } : {}),
    ...(p.top !== undefined ? { top: p.top } : {}),
  });
  const json = resultJson(result, p.top !== undefined);
  if (p.format === 'csv') {
    const header = resultColumns(dimensions, b !== undefined, p.top !== undefined);
    return new FileReply('text/csv; charset=utf-8', toCsv(json.rows, header), `${name}.csv`);
  }
  return json;
}

export const breakdownEndpoint = endpoint({
  method: 'GET',
  path: '/api/breakdown',
  summary: 'Spend and tokens grouped by up to two dimensions, optionally by time bucket, top-N',
  params: { ...rangeParams, dims, bucket, top, format },
  response: resultSchema,
  handle: (c, p, who) => grouped(c, p, who, parseDims(p.dims, 2, ['team']), p.bucket, 'breakdown'),
});

export const timeseriesEndpoint = endpoint({
  method: 'GET',
  path: '/api/timeseries',
  summary: 'Spend over time (bucket default day), stacked by at most one dimension, top-N per range',
  params: { ...rangeParams, dims, bucket, top, format },
  response: resultSchema,
  handle: (c, p, who) => grouped(c, p, who, parseDims(p.dims, 1), p.bucket ?? 'day', 'timeseries'),
});
