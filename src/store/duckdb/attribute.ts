import { type AttributionPatch, mergePatches } from '../../ledger/attribution-patch.js';
import { CONTEXT_COLUMNS, resolveContexts, sameContext } from './contexts.js';
import { rebuildRollupDays } from './rollup.js';
import { q } from './schema.js';
import type { DuckDbSession } from './session.js';

const ID = /^[0-9a-f]{16}$/;

/**
 * Fills agent and task_id of stored events from attribution patches, where the event has none: an event whose
 * source named an agent keeps it. agent and task_id are part of an event's context, so a patched event moves to the
 * context that differs from its old one only in those two (written if new), as a repriced event does, and the rollup
 * days it lies in are rebuilt from the events in the same transaction: money and tokens stay what they were, only
 * who they are counted under changes. Patches naming no stored event change nothing (their event may come later:
 * the log applies them in its order). Returns how many events changed.
 */
export async function attributeEvents(
  s: DuckDbSession,
  given: readonly AttributionPatch[],
): Promise<{ patched: number }> {
  // A patch whose id or time no stored event can have (append refuses those) names nothing: skipped, not refused,
  // so it cannot hold back the log behind it.
  const patches = mergePatches(given).filter((p) => ID.test(p.event_id) && Number.isSafeInteger(p.ts));
  if (patches.length === 0) return { patched: 0 };
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of patches) {
    if (p.ts < lo) lo = p.ts;
    if (p.ts > hi) hi = p.ts;
  }
  await s.run(
    'staging attribution patches',
    'CREATE OR REPLACE TEMP TABLE attr_patches (event_id UBIGINT, ts_us BIGINT, agent VARCHAR, task_id VARCHAR)',
  );
  const appender = await s.conn.createAppender('attr_patches', 'main', 'temp');
  try {
    for (const p of patches) {
      appender.appendUBigInt(BigInt(`0x${p.event_id}`));
      appender.appendBigInt(BigInt(p.ts));
      if (p.agent === null) appender.appendNull();
      else appender.appendVarchar(p.agent);
      if (p.task_id === null) appender.appendNull();
      else appender.appendVarchar(p.task_id);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const cols = CONTEXT_COLUMNS.map(q).join(', ');
  const bounds = 'e.ts BETWEEN make_timestamp(?::BIGINT) AND make_timestamp(?::BIGINT)';
  return s.transaction('attributing events', async () => {
    // The ts bounds let zone maps skip every row group outside the patches' time span (recent, on a server).
    await s.run(
      'attributing events',
      `CREATE OR REPLACE TEMP TABLE attr_targets AS
       SELECT e.event_id, e.ts, c.* EXCLUDE (context_id, agent, task_id),
         coalesce(c.agent, p.agent) AS agent, coalesce(c.task_id, p.task_id) AS task_id
       FROM attr_patches p
       JOIN events e ON e.event_id = p.event_id AND e.ts = make_timestamp(p.ts_us) AND ${bounds}
       JOIN contexts c ON c.context_id = e.context_id
       WHERE (c.agent IS NULL AND p.agent IS NOT NULL) OR (c.task_id IS NULL AND p.task_id IS NOT NULL)`,
      [BigInt(lo), BigInt(hi)],
    );
    await s.run(
      'attributing events',
      `CREATE OR REPLACE TEMP TABLE attr_ctx AS SELECT ${cols}, min(ts) AS first FROM attr_targets GROUP BY ALL`,
    );
    await resolveContexts(s, 'attr_ctx');
    const patched = await s.run(
      'attributing events',
      `UPDATE events SET context_id = k.context_id
       FROM attr_targets t JOIN ctx_ids k ON ${sameContext('k', 't')}
       WHERE events.event_id = t.event_id AND events.ts = t.ts
         AND events.ts BETWEEN make_timestamp(?::BIGINT) AND make_timestamp(?::BIGINT)`,
      [BigInt(lo), BigInt(hi)],
    );
    if (patched > 0) {
      await s.run(
        'rebuilding the rollup',
        `CREATE OR REPLACE TEMP TABLE attr_days AS SELECT DISTINCT date_trunc('day', ts) AS day FROM attr_targets`,
      );
      await rebuildRollupDays(s, 'attr_days');
    }
    return { patched };
  });
}
