import type { AppendResult } from '../store.js';
import { resolveContexts } from './contexts.js';
import type { PreparedBatch } from './prepare-batch.js';
import type { RateCardRegistry } from './rate-cards.js';
import { writeNewRateCards } from './rate-cards.js';
import {
  compactPendingDays,
  finishRollupDays,
  insertRollupDeltas,
  markRollupDaysDirty,
  planCompaction,
} from './rollup.js';
import type { DuckDbSession } from './session.js';
import {
  contextIdsSql,
  DICT_LIST,
  STAGE_DICT_TABLE,
  STAGE_TABLE,
  stageContextsSql,
  stageLoadSql,
  stageTablesSql,
  writeStage,
} from './stage.js';
import { stagedColumns } from './stage-columns.js';

/** How an append keeps the rollups: see DuckDbOptions.deferRollups. */
export type RollupUpkeep =
  /** Each batch's rows go to the pending tables; `pending` counts the appends each day took since compacted. */
  | { kind: 'pending'; pending: Map<number, number> }
  /** Batches only mark their days dirty; `deferred` holds those days until they are rebuilt from the events. */
  | { kind: 'deferred'; deferred: Set<number> };

/**
 * Writes one prepared batch: stage it, then in one transaction write new rate cards, insert the events the ledger
 * does not hold yet (on (event_id, ts)), and account exactly those to the rollups as `upkeep` says.
 */
export async function writeBatch(
  s: DuckDbSession,
  rates: RateCardRegistry,
  batch: PreparedBatch,
  upkeep: RollupUpkeep,
): Promise<AppendResult> {
  const staged = batch.staged;
  if (staged === null) return { inserted: 0, duplicates: batch.given };
  const columns = stagedColumns(staged.constants);
  for (const sql of stageTablesSql(columns)) await s.run('preparing the staging tables', sql);
  const stage = await s.conn.createAppender(STAGE_TABLE, 'main', 'temp');
  const dict = await s.conn.createAppender(STAGE_DICT_TABLE, 'main', 'temp');
  try {
    writeStage(stage, dict, staged, columns);
  } finally {
    stage.closeSync();
    dict.closeSync();
  }
  const { minTs, maxTs, constants, contexts: contextCount } = staged;
  const out = await s.transaction('appending events', async () => {
    const rateIds = await writeNewRateCards(s, rates);
    // Staged rows the ledger already holds. The batch's ts range bounds the scan to the row groups it can collide
    // with (zone maps on time-ordered data), so this stays cheap however big the ledger grows.
    await s.run(
      'deduplicating the batch',
      `CREATE OR REPLACE TEMP TABLE stage_held AS
       SELECT u.rowid AS r FROM ${STAGE_TABLE} u
       SEMI JOIN (SELECT event_id, ts FROM events
                  WHERE ts BETWEEN make_timestamp(?::BIGINT) AND make_timestamp(?::BIGINT)) e
         ON e.event_id = ((u.id_hi::UBIGINT << 32) | u.id_lo::UBIGINT) AND e.ts = make_timestamp(u.ts::BIGINT)`,
      [BigInt(minTs), BigInt(maxTs)],
    );
    const held = Number((await s.rows('deduplicating the batch', 'SELECT count(*) FROM stage_held'))[0]![0]);
    const where = held > 0 ? 'WHERE s.rowid NOT IN (SELECT r FROM stage_held)' : '';
    const contexts = stageContextsSql(where, constants);
    await s.run(
      'finding the batch contexts',
      `CREATE OR REPLACE TEMP TABLE stage_ctx AS ${contexts.sql}`,
      contexts.params,
    );
    await resolveContexts(s, 'stage_ctx');
    const load = stageLoadSql(constants);
    const n = await s.run(
      'inserting events',
      `INSERT INTO events SELECT ${load.sql}
       FROM ${STAGE_TABLE} s, ${DICT_LIST} d, ${contextIdsSql(contextCount)} ${where}`,
      load.params,
    );
    if (n === 0) return { n, rateIds, pending: null };
    if (upkeep.kind === 'deferred') {
      const deferred = upkeep.deferred;
      await markRollupDaysDirty(
        s,
        staged.days.filter((d) => !deferred.has(d)),
      );
      return { n, rateIds, pending: null };
    }
    const pending = upkeep.pending;
    await insertRollupDeltas(s, where, constants);
    await markRollupDaysDirty(
      s,
      staged.days.filter((d) => !pending.has(d)),
    );
    const plan = planCompaction(pending, staged.days);
    await finishRollupDays(s, plan.finished);
    await compactPendingDays(s, plan.crowded);
    return { n, rateIds, pending: plan.next };
  });
  // Only once the transaction holds: a rolled-back batch left nothing to compact, and wrote no rate card.
  rates.markWritten(out.rateIds);
  if (upkeep.kind === 'deferred') {
    if (out.n > 0) for (const d of staged.days) upkeep.deferred.add(d);
  } else if (out.pending) {
    upkeep.pending.clear();
    for (const [d, k] of out.pending) upkeep.pending.set(d, k);
  }
  return { inserted: out.n, duplicates: batch.given - out.n };
}
