import { formatUsd } from '../money/money.js';
import type { EnergyRow, QueryResult, Row } from '../store/query.js';
import {
  cacheHitRate,
  cacheSavings,
  costPerMillion,
  costPerRequest,
  tokensOf,
  tokensPerJoule,
} from './economics.js';

/** The metrics of docs/metrics.md for one group of a report (a model, a team, …) or for all of them. */
export interface GroupMetrics {
  /** The time bucket's start, ISO-8601 UTC, when the query had a bucket. */
  bucket?: string;
  dims: Record<string, string | null>;
  cost_usd: bigint;
  /** Tokens of every kind, priced or not. */
  tokens: number;
  /** Tokens of priced events: what the cost per 1M tokens divides by. */
  priced_tokens: number;
  requests: number;
  /** Calls of priced events: what the cost per call divides by. */
  priced_requests: number;
  events: number;
  unpriced_events: number;
  cost_per_1m_tokens_usd: bigint;
  cost_per_request_usd: bigint;
  cache_hit_rate: number | null;
  cache_savings_usd: bigint;
  /** Joules the group's GPUs used (GPU telemetry); null when none of its events carry energy. */
  energy_j: number | null;
  /** Tokens per joule (tokensPerJoule); null without energy. */
  tokens_per_joule: number | null;
}

/** The dimensions a metrics query needs beside the report's own: cache savings are worked out model by model. */
export const METRICS_DIMENSIONS = ['model', 'cost_source'] as const;

/**
 * Metrics per group of `by` (and time bucket, when the query had one: buckets in order, each's groups costliest
 * first), and for the whole result, from a query grouped by `by` and then METRICS_DIMENSIONS (the store's exact sums,
 * added here exactly), and the store's energy for the same query (Store.energy), whose rows name their model.
 */
export function metricsBy(
  result: QueryResult,
  by: readonly string[],
  energy: readonly EnergyRow[] = [],
): { groups: GroupMetrics[]; total: GroupMetrics } {
  const keyOf = (r: Row | EnergyRow) =>
    JSON.stringify([r.bucket ?? null, ...by.map((d) => r.dims[d] ?? null)]);
  const groups = new Map<string, Row[]>();
  for (const r of result.rows) {
    const key = keyOf(r);
    const rows = groups.get(key);
    if (rows === undefined) groups.set(key, [r]);
    else rows.push(r);
  }
  const energyOf = new Map<string, EnergyRow[]>();
  for (const e of energy) {
    const key = keyOf(e);
    const rows = energyOf.get(key);
    if (rows === undefined) energyOf.set(key, [e]);
    else rows.push(e);
  }
  const metrics = [...groups].map(([key, rows]) => {
    const m = metricsOf(
      rows,
      Object.fromEntries(by.map((d) => [d, rows[0]!.dims[d] ?? null])),
      energyOf.get(key) ?? [],
    );
    const bucket = rows[0]!.bucket;
    return bucket === undefined ? m : { bucket, ...m };
  });
  metrics.sort(
    (a, b) =>
      (a.bucket ?? '').localeCompare(b.bucket ?? '') ||
      (a.cost_usd === b.cost_usd ? b.tokens - a.tokens : a.cost_usd > b.cost_usd ? -1 : 1),
  );
  return { groups: metrics, total: metricsOf(result.rows, {}, energy) };
}

function metricsOf(
  rows: readonly Row[],
  dims: Record<string, string | null>,
  energy: readonly EnergyRow[],
): GroupMetrics {
  let cost = 0n;
  let tokens = 0;
  let priced = 0;
  let requests = 0;
  let pricedRequests = 0;
  let events = 0;
  let unpriced = 0;
  const prompt = {
    input_tokens: 0,
    cache_read_tokens: 0,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
  };
  for (const r of rows) {
    cost += r.cost_usd;
    tokens += tokensOf(r);
    if (r.dims.cost_source !== 'unpriced') {
      priced += tokensOf(r);
      pricedRequests += r.requests;
    }
    requests += r.requests;
    events += r.events;
    unpriced += r.unpriced_events;
    for (const k of Object.keys(prompt) as (keyof typeof prompt)[]) prompt[k] += r[k];
  }
  return {
    dims,
    cost_usd: cost,
    tokens,
    priced_tokens: priced,
    requests,
    priced_requests: pricedRequests,
    events,
    unpriced_events: unpriced,
    cost_per_1m_tokens_usd: costPerMillion(cost, priced),
    cost_per_request_usd: costPerRequest(cost, pricedRequests),
    cache_hit_rate: cacheHitRate(prompt),
    cache_savings_usd: cacheSavings({ rows: [...rows] }),
    ...energyMetrics(rows, energy),
  };
}

/**
 * A group's joules and its tokens per joule. A GPU's energy is set against the tokens of the model it serves
 * (config `otlp.gpus`), so the tokens counted are those of the group's models that have energy in it: the calls of
 * hosted models, whose energy no one measures, would otherwise raise the rate. Joules of GPUs that served nothing
 * count, and lower it: idle GPUs use energy too.
 */
function energyMetrics(
  rows: readonly Row[],
  energy: readonly EnergyRow[],
): Pick<GroupMetrics, 'energy_j' | 'tokens_per_joule'> {
  if (energy.length === 0) return { energy_j: null, tokens_per_joule: null };
  let joules = 0;
  const served = new Set<string | null>();
  for (const e of energy) {
    joules += e.energy_j;
    served.add(e.dims.model ?? null);
  }
  let tokens = 0;
  for (const r of rows) if (served.has(r.dims.model ?? null)) tokens += tokensOf(r);
  return { energy_j: joules, tokens_per_joule: tokensPerJoule(tokens, joules) };
}

/**
 * A group's metrics as `tokenledger metrics --format json` and `GET /api/metrics` give them: its dimension values
 * under their own names, then the metrics, money as decimal strings with 12 fractional digits.
 */
export function groupMetricsJson(g: GroupMetrics): Record<string, string | number | null> {
  return {
    ...(g.bucket === undefined ? {} : { bucket: g.bucket }),
    ...g.dims,
    cost_usd: formatUsd(g.cost_usd),
    tokens: g.tokens,
    priced_tokens: g.priced_tokens,
    requests: g.requests,
    priced_requests: g.priced_requests,
    events: g.events,
    unpriced_events: g.unpriced_events,
    cost_per_1m_tokens_usd: formatUsd(g.cost_per_1m_tokens_usd),
    cost_per_request_usd: formatUsd(g.cost_per_request_usd),
    cache_hit_rate: g.cache_hit_rate,
    cache_savings_usd: formatUsd(g.cache_savings_usd),
    energy_j: g.energy_j,
    tokens_per_joule: g.tokens_per_joule,
  };
}
