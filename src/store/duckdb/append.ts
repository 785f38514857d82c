import type { UsageEvent } from '../../ledger/event.js';
import type { AppendResult } from '../store.js';
import { resolveContexts } from './contexts.js';
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
  type EncodedBatch,
  encodeBatch,
  STAGE_DICT_TABLE,
  STAGE_TABLE,
  stageContextsSql,
  stageLoadSql,
  stageTablesSql,
  writeStage,
} from './stage.js';

/**
 * The order a batch is stored in: grouped by which of reasoning tokens, 5-minute and 1-hour cache writes the event
 * has (none first, then 1h, 5m, 5m and 1h, reasoning, …), otherwise as given (a stable partition, done here so the
 * SQL needs no sort). DuckDB bit-packs each 2048 values to the width of the largest, so mostly-zero token columns
 * cost nearly as much as full ones when a few non-zero values are spread through every group; grouped, the zero
 * runs pack to nothing. On the 10M-event demo: 29.2 → 27.4 B/event for the events table with the first two keys
 * (reasoning_tokens 2.14 → 1.04, cache_write_5m_tokens 2.15 → 1.07, ts 2.70 → 3.19, as its deltas jump at the
 * boundaries); the 1-hour writes as a third key: 984 → 974 blocks rewriting the events table, 1,196 → 1,191 in a
 * demo fill (a fourth key, streamed or not, saved 3 more in the rewrite and was left out). Zone maps are unchanged:
 * rows only move within their batch.
 */
export function storageOrder(events: readonly UsageEvent[]): UsageEvent[] {
  const parts: UsageEvent[][] = [[], [], [], [], [], [], [], []];
  for (const e of events)
    parts[
      (e.reasoning_tokens > 0 ? 4 : 0) +
        (e.cache_write_5m_tokens > 0 ? 2 : 0) +
        (e.cache_write_1h_tokens > 0 ? 1 : 0)
    ]!.push(e);
  return parts.flat();
}

/** How an append keeps the rollups: see DuckDbOptions.deferRollups. */
export type RollupUpkeep =
  /** Each batch's rows go to the pending tables; `pending` counts the appends each day took since compacted. */
  | { kind: 'pending'; pending: Map<number, number> }
  /** Batches only mark their days dirty; `deferred` holds those days until they are rebuilt from the events. */
  | { kind: 'deferred'; deferred: Set<number> };

/** A batch ready to write: repeats within it dropped, put in storage order and encoded (null when empty). */
export interface PreparedBatch {
  given: number;
  staged: EncodedBatch | null;
}

/**
 * The JS half of an append, which touches no connection: the store runs it before queueing for the connection, so
 * a batch is encoded while the previous one's statements run in DuckDB (in series, the main thread had idled
 * ~14 s of a 28 s import of 1M events waiting for them, and DuckDB for it).
 */
export function prepareBatch(events: readonly UsageEvent[], rates: RateCardRegistry): PreparedBatch {
  const unique = uniqueInBatch(events);
  return {
    given: events.length,
    staged: unique.length === 0 ? null : encodeBatch(storageOrder(unique), rates),
  };
}

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
  for (const sql of stageTablesSql(staged.staged)) await s.run('preparing the staging tables', sql);
  const stage = await s.conn.createAppender(STAGE_TABLE, 'main', 'temp');
  const dict = await s.conn.createAppender(STAGE_DICT_TABLE, 'main', 'temp');
  try {
    writeStage(stage, dict, staged);
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

/**
 * The batch without repeats of an (event_id, ts) pair, first one kept; the batch itself when it has none. Keyed on
 * event_id alone with the ts beside it: a key string per event (`id@ts`) cost ~0.7 s per 1M events.
 */
function uniqueInBatch(events: readonly UsageEvent[]): readonly UsageEvent[] {
  const tsOf = new Map<string, number>();
  // The rare id seen again at another ts: such pairs as `id@ts`.
  let others: Set<string> | null = null;
  let out: UsageEvent[] | null = null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const ts = tsOf.get(e.event_id);
    let repeat = false;
    if (ts === undefined) tsOf.set(e.event_id, e.ts);
    else if (ts === e.ts) repeat = true;
    else {
      others ??= new Set();
      const key = `${e.event_id}@${e.ts}`;
      if (others.has(key)) repeat = true;
      else others.add(key);
    }
    if (repeat) out ??= events.slice(0, i);
    else out?.push(e);
  }
  return out ?? events;
}
