/** Runaway sessions and spend anomalies found in the ledger (src/budgets/runaway.ts, anomaly-detect.ts). */
import { z } from 'zod';
import { detectAnomalies } from '../../budgets/anomaly-detect.js';
import { detectRunaways } from '../../budgets/runaway.js';
import { RUNAWAY_DEFAULTS } from '../../budgets/runaway-config.js';
import { formatUsd, PLAIN_DECIMAL } from '../../money/money.js';
import { endpoint } from './endpoint.js';
import { countParam, decimalParam, rangeParams } from './params.js';
import { parseDimension, parseRange, parseZone, requestFilters } from './query-input.js';

const usdParam = z
  .string()
  .regex(PLAIN_DECIMAL, { message: 'expected a USD amount such as 20 or 7.50' })
  .optional();
const row = z.record(z.string(), z.unknown());
const iso = (ms: number) => new Date(ms).toISOString();

export const runawaysEndpoint = endpoint({
  method: 'GET',
  path: '/api/runaways',
  summary: 'Sessions (or agents) that spent more than max_usd within any window_minutes in the range',
  params: {
    ...rangeParams,
    by: z.enum(['session_id', 'agent']).default('session_id'),
    max_usd: usdParam.describe(`default ${RUNAWAY_DEFAULTS.max_usd}`),
    window_minutes: countParam(1, 1440).default(RUNAWAY_DEFAULTS.window_minutes),
  },
  response: z.object({ runaways: z.array(row) }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const found = await detectRunaways(c.store, {
      since: Math.floor(since / 1000),
      until: Math.floor(until / 1000),
      maxUsd: p.max_usd ?? RUNAWAY_DEFAULTS.max_usd,
      windowMinutes: p.window_minutes,
      dimension: p.by,
      filters: requestFilters(p.where, c.pricer, who),
    });
    return {
      runaways: found.map((r) => ({
        dimension: r.dimension,
        value: r.value,
        agent: r.agent,
        user: r.user,
        team: r.team,
        first: iso(r.first),
        last: iso(r.last),
        calls: r.calls,
        spend_usd: formatUsd(r.spend),
        total_usd: formatUsd(r.total),
      })),
    };
  },
});

export const anomaliesEndpoint = endpoint({
  method: 'GET',
  path: '/api/anomalies',
  summary:
    "Hours in which a scope spent far above its robust baseline (median and MAD of the past weeks' same hours)",
  params: {
    ...rangeParams,
    by: z.string().default('team').describe('the dimension spend is split by'),
    threshold: decimalParam(1000).optional().describe('robust z an hour must reach; default 8'),
    min_usd: usdParam.describe('USD an hour must cost to be flagged; default 20'),
  },
  response: z.object({ anomalies: z.array(row) }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const found = await detectAnomalies(c.store, {
      since: Math.floor(since / 1000),
      until: Math.floor(until / 1000),
      dimension: parseDimension('by', p.by),
      filters: requestFilters(p.where, c.pricer, who),
      // The hours, and the weekday and weekend whose hours make the baseline, of the range's zone.
      tz: parseZone(p.tz),
      ...(p.threshold !== undefined ? { threshold: p.threshold } : {}),
      ...(p.min_usd !== undefined ? { minUsd: p.min_usd } : {}),
    });
    return {
      anomalies: found.map((a) => ({
        dimension: a.dimension,
        value: a.value,
        hour: iso(a.hour),
        spend_usd: formatUsd(a.spend),
        median_usd: formatUsd(a.median),
        mad_usd: formatUsd(a.mad),
        z: a.z,
        samples: a.samples,
      })),
    };
  },
});
