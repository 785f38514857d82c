import type { FieldDimension } from '../query.js';

/**
 * Dimensions the daily rollup is keyed by: the ones reports group and filter by. A query that needs anything else
 * (session_id, task_id, api_key_id, model_requested, route_id, status, error_type, tags) or an hourly bucket reads
 * raw events. `status` is left out because failed calls split nearly every (day, user, project, agent, model) row in
 * two: on the demo organisation it made the rollup 392k rows instead of 315k (0.5 B/event). Kept short on purpose: every extra key multiplies rollup rows (sessions alone would make it as big as the
 * events table).
 */
export const ROLLUP_DIMENSIONS = [
  'org',
  'team',
  'user',
  'project',
  'agent',
  'environment',
  'source',
  'provider',
  'model',
  'operation',
  'service_tier',
  'cost_source',
  'price_version',
] as const satisfies readonly FieldDimension[];

export function inRollup(dimension: string): boolean {
  return (ROLLUP_DIMENSIONS as readonly string[]).includes(dimension);
}

/** Measures every rollup row carries, summed. `unpriced_*` let a report count unpriced usage without raw events. */
export const ROLLUP_MEASURES = [
  'events',
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
  // billed − current cost: 0 until a reprice, so it compresses to nothing (a copy of cost_usd cost 0.15 B/event).
  'billed_delta_usd',
  'unpriced_events',
  'unpriced_tokens',
] as const;
export type RollupMeasure = (typeof ROLLUP_MEASURES)[number];
