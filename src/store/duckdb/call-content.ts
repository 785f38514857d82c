import type { CallContent } from '../../ledger/call-content.js';
import type { DuckDbSession } from './session.js';
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

export function deleteCallContent(s: DuckDbSession, before: number): Promise<{ deleted: number }> {
  return s.exclusive(async () => ({
    deleted: await s.run(
      'deleting call content',
      'DELETE FROM call_content WHERE ts < make_timestamp(?::BIGINT)',
      [BigInt(before)],
    ),
  }));
}

export const CALL_CONTENT_READ_SQL =
  'SELECT request, completion FROM call_content WHERE event_id = ? AND ts = make_timestamp(?::BIGINT)';
