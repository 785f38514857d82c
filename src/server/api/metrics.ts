import { z } from 'zod';
import { groupMetricsJson, METRICS_DIMENSIONS, metricsBy } from '../../metrics/group-metrics.js';
import { endpoint } from './endpoint.js';
import { bucket, dims, rangeParams } from './params.js';
import { parseDims, parseRange, parseZone, requestFilters } from './query-input.js';

const money = z.string().describe('USD, decimal string with 12 fractional digits');
const group = z
  .object({
    cost_usd: money,
    tokens: z.number().int(),
    priced_tokens: z.number().int(),
    requests: z.number().int(),
    priced_requests: z.number().int(),
    events: z.number().int(),
    unpriced_events: z.number().int(),
    cost_per_1m_tokens_usd: money,
    cost_per_request_usd: money,
    cache_hit_rate: z.number().nullable(),
    cache_savings_usd: money,
    energy_j: z
      .number()
      .nullable()
      .describe('joules the GPUs of the group used (GPU telemetry); null without any'),
    tokens_per_joule: z
      .number()
      .nullable()
      .describe(
        "tokens of the group's self-served models over their GPUs' joules (docs/metrics.md); null without energy",
      ),
  })
  .catchall(z.union([z.string(), z.null()]))
  .describe('the dimension values under their own names, then the metrics of docs/metrics.md');

export const metricsEndpoint = endpoint({
  method: 'GET',
  path: '/api/metrics',
  summary:
    'AI-economics metrics per group: effective cost per 1M tokens, cost per call, cache hit rate, cache savings, tokens per joule',
  params: { ...rangeParams, dims, bucket },
  response: z.object({
    groups: z
      .array(group)
      .describe('costliest first; with `bucket`, buckets in order, each with its `bucket` start'),
    total: group,
  }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const by = parseDims(p.dims, 3, ['model']);
    const extra = METRICS_DIMENSIONS.filter((d) => !by.includes(d));
    const q = {
      dimensions: [...by, ...extra],
      filters: requestFilters(p.where, c.pricer, who),
      since,
      until,
      ...(p.bucket !== undefined ? { bucket: p.bucket, timeZone: parseZone(p.tz) } : {}),
    };
    const [result, energy] = await Promise.all([c.store.query(q), c.store.energy(q)]);
    const m = metricsBy(result, by, energy);
    return { groups: m.groups.map(groupMetricsJson), total: groupMetricsJson(m.total) };
  },
});
