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

/**
 * Dimensions of the session rollup: per UTC day and session, with who ran it. What a session lists (its agent, user,
 * team, project) is constant within it, so these add no rows beyond one per session and day (~210k at 10M demo
 * events); the sessions page (cost per session, top-N) reads it instead of scanning every event of the range.
 * Model and provider are left out: a session using several models would split into one row each.
 */
const SESSION_ROLLUP_DIMENSIONS = [
  'org',
  'team',
  'user',
  'project',
  'agent',
  'environment',
  'session_id',
] as const satisfies readonly FieldDimension[];

/**
 * The daily rollup without `user`: 3000 people multiply its rows ~30x (9,856 rows for the 30-day demo against
 * 313,205), and most overview reports (totals, by model, team, project, agent, source) do not need them.
 */
const TEAM_ROLLUP_DIMENSIONS = ROLLUP_DIMENSIONS.filter((d) => d !== 'user');

export type RollupName = 'team' | 'day' | 'session';

/** A daily rollup and the dimensions it is keyed by (besides the day). */
export interface RollupKind {
  readonly name: RollupName;
  readonly dimensions: readonly FieldDimension[];
}

/** Every rollup, in the order a query prefers them (smallest first): the first whose dimensions cover it is read. */
export const ROLLUPS: readonly RollupKind[] = [
  { name: 'team', dimensions: TEAM_ROLLUP_DIMENSIONS },
  { name: 'day', dimensions: ROLLUP_DIMENSIONS },
  { name: 'session', dimensions: SESSION_ROLLUP_DIMENSIONS },
];
