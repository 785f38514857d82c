import { ATTRIBUTION_FIELDS } from '../../ledger/event.js';
import type { DuckDbSession } from './session.js';

/**
 * The columns an event shares with the other calls of its session: who, where, what model, how priced. DuckDB
 * compresses each column on its own (a dictionary per segment, no run-length encoding for strings), so it cannot see
 * that these stay constant for ~50 calls in a row: stored per event they cost ~13 B/event at 10M. The `contexts` table
 * holds each distinct combination once and events carry an INTEGER context_id (ids in order of first appearance, so
 * consecutive events share runs of ids and the column compresses to ~2.4 B).
 * rate_id is part of the context: it follows from model, tier and price version for nearly every event, and an event
 * priced differently simply gets a context of its own. Per-call values (ids, times, durations, tokens, given
 * costs, source_ref) stay in `events`.
 */
export const CONTEXT_COLUMNS = [
  'source',
  ...ATTRIBUTION_FIELDS,
  'tags',
  'provider',
  'model',
  'model_requested',
  'operation',
  'service_tier',
  'route_id',
  'rate_id',
  'cost_source',
  'price_version',
  'energy_source',
  'status',
  'error_type',
] as const;
export type ContextColumn = (typeof CONTEXT_COLUMNS)[number];

export function isContextColumn(name: string): name is ContextColumn {
  return (CONTEXT_COLUMNS as readonly string[]).includes(name);
}

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Null-safe: NULL is a value of a context like any other (most contexts have no task_id). */
export const sameContext = (a: string, b: string) =>
  CONTEXT_COLUMNS.map((c) => `${a}.${q(c)} IS NOT DISTINCT FROM ${b}.${q(c)}`).join(' AND ');

/**
 * How far back (in context ids) a batch looks for a context it can reuse. Matching against the whole table made
 * every batch scan all of it (626k rows at 10M demo events: ~60 ms a batch, the import 37% slower); contexts are
 * written in id order, so zone maps limit this scan to the last row group or two. A context last seen further back
 * is written again under a new id: a few extra rows, never a wrong event (each event names exactly one row).
 */
export const CONTEXT_REUSE_WINDOW = 100_000;

/**
 * Gives every row of temp table `table` (the typed CONTEXT_COLUMNS, distinct, plus an ordering column `first`) its
 * context_id, writing the contexts the ledger does not hold yet. Leaves `ctx_ids`: the rows of `table` plus
 * `context_id`. Runs inside the caller's transaction.
 */
export async function resolveContexts(s: DuckDbSession, table: string): Promise<void> {
  const cols = CONTEXT_COLUMNS.map(q).join(', ');
  const max = Number(
    (await s.rows('matching contexts', 'SELECT coalesce(max(context_id), 0) FROM contexts'))[0]![0],
  );
  // A context is written again only once its last copy is out of the window, so the window holds at most one copy.
  await s.run(
    'matching contexts',
    `CREATE OR REPLACE TEMP TABLE ctx_matched AS
     SELECT t.*, c.context_id AS known_id
     FROM ${table} t LEFT JOIN (SELECT * FROM contexts WHERE context_id > ?::INTEGER) c ON ${sameContext('c', 't')}`,
    [max - CONTEXT_REUSE_WINDOW],
  );
  await s.run(
    'numbering new contexts',
    `CREATE OR REPLACE TEMP TABLE ctx_new AS
     SELECT * EXCLUDE (known_id), (?::INTEGER + row_number() OVER (ORDER BY first))::INTEGER AS context_id
     FROM ctx_matched WHERE known_id IS NULL`,
    [max],
  );
  await s.run(
    'writing new contexts',
    `INSERT INTO contexts (context_id, ${cols}) SELECT context_id, ${cols} FROM ctx_new ORDER BY context_id`,
  );
  await s.run(
    'matching contexts',
    `CREATE OR REPLACE TEMP TABLE ctx_ids AS
     SELECT * EXCLUDE (known_id), known_id AS context_id FROM ctx_matched WHERE known_id IS NOT NULL
     UNION ALL BY NAME SELECT * FROM ctx_new`,
  );
}
