import { z } from 'zod';
import { cacheGroupJson, readCacheGroups } from '../../metrics/response-cache.js';
import { endpoint } from './endpoint.js';
import { bucket, dims, rangeParams } from './params.js';
import { parseDims, parseRange, parseZone, requestFilters } from './query-input.js';

const money = z.string().describe('USD, decimal string with 12 fractional digits');
const group = z
  .object({
    lookups: z.number().int().describe('calls the response cache looked up'),
    hits: z.number().int().describe('of them, answered from the cache'),
    hit_rate: z.number().nullable().describe('hits / lookups; null without lookups'),
    spent_usd: money.describe('what the calls sent upstream (the misses) cost'),
    saved_usd: money.describe('what the answers served again cost when first asked'),
    unpriced_hits: z
      .number()
      .int()
      .describe('hits whose first answer has no price or is not in this ledger: left out of saved_usd'),
  })
  .catchall(z.union([z.string(), z.null()]))
  .describe('the dimension values under their own names (and `bucket`), then what the cache did');

export const cacheEndpoint = endpoint({
  method: 'GET',
  path: '/api/cache',
  summary:
    "What the gateway's response cache answered and saved, per group (docs/gateway.md, Response cache)",
  params: { ...rangeParams, dims, bucket },
  response: z.object({
    groups: z.array(group).describe('most saved first; with `bucket`, buckets in order'),
    total: group,
  }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const by = parseDims(p.dims, 3);
    const range = {
      filters: requestFilters(p.where, c.pricer, who),
      since,
      until,
      ...(p.bucket !== undefined ? { bucket: p.bucket, timeZone: parseZone(p.tz) } : {}),
    };
    const m = await readCacheGroups(c.store, range, by);
    return { groups: m.groups.map(cacheGroupJson), total: cacheGroupJson(m.total) };
  },
});
