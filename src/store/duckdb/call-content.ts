import type { CallContent } from '../../ledger/call-content.js';
import type { DuckDbSession, SqlParam } from './session.js';
import { stageInsert } from './stage-insert.js';

/**
 * Prompt and completion text of the gateway calls whose key opted in (ledger/call-content.ts), one row per event.
 * A table of its own, not event columns: most ledgers never hold any, and an events scan must not read past it. A
 * new table only, so older ledger files gain it on open.
 */
export function callContentSchemaSql(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS call_content (event_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
      request VARCHAR NOT NULL, completion VARCHAR NOT NULL, PRIMARY KEY (event_id, ts))`,
  ];
}

/** Stores call texts, skipping those already stored (a replayed log hands them over again). */
export function insertCallContent(
  s: DuckDbSession,
  contents: readonly CallContent[],
): Promise<{ inserted: number }> {
  if (contents.length === 0) return Promise.resolve({ inserted: 0 });
  return s.exclusive(async () => ({
    inserted: await stageInsert(
      s,
      'storing call content',
      'call_content',
      ['text', 'timestamp', 'text', 'text'],
      contents.map((c) => [c.event_id, c.ts, c.request, c.completion]),
      'IGNORE',
    ),
  }));
}

/**
 * Deletes the text of calls whose time is in `range` (SQL on `ts`) and, when `events` is given, whose events match
 * its condition (SQL on `events.source`, the store's priced events with their attribution, whose ids are numbers).
 * `params` are those of `range`, then those of `events.where`.
 */
export function deleteCallContent(
  s: DuckDbSession,
  range: string,
  params: readonly SqlParam[],
  events?: { source: string; where: string },
): Promise<{ deleted: number }> {
  const sql =
    events === undefined
      ? `DELETE FROM call_content WHERE ${range}`
      : `DELETE FROM call_content WHERE ${range} AND (event_id, ts) IN (SELECT printf('%016x', event_id), ts FROM ${events.source} WHERE ${events.where})`;
  return s.run('deleting call content', sql, params).then((deleted) => ({ deleted }));
}

export const CALL_CONTENT_READ_SQL =
  'SELECT request, completion FROM call_content WHERE event_id = ? AND ts = make_timestamp(?::BIGINT)';
