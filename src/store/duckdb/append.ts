import { nextTurn } from '../../next-turn.js';
import type { EventAppendResult, UnpricedCount } from '../store.js';
import { batchContexts, batchSources, type ContextCache } from './context-cache.js';
import { CONTEXT_COLUMNS } from './contexts.js';
import { duckdb } from './duckdb-api.js';
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
import { appendRollupRows } from './rollup-append.js';
import { EVENT_COLUMNS, q } from './schema.js';
import type { WriterDedup } from './seen-ids.js';
import type { DuckDbSession } from './session.js';
import {
  DICT_LIST,
  type EncodedBatch,
  STAGE_DICT_TABLE,
  STAGE_TABLE,
  stageLoadSql,
  stageTablesSql,
  stageValueSql,
  writeDictionary,
  writeStageRows,
} from './stage.js';
import { stagedColumns } from './stage-columns.js';
import type { BatchConstants } from './stage-encode.js';

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
  contexts: ContextCache,
  dedup: WriterDedup,
  batch: PreparedBatch,
  upkeep: RollupUpkeep,
): Promise<EventAppendResult> {
  const staged = batch.staged;
  if (staged === null) return { inserted: 0, duplicates: batch.given, unpriced: { events: 0, tokens: 0 } };
  const columns = stagedColumns(staged.constants);
  await s.run('preparing the staging tables', stageTablesSql(columns).join(';\n'));
  // A turn of the event loop after each appender: their flushes are synchronous, ~0.3 ms + ~40 µs a column
  // whatever the rows (bench/HISTORY.md, Gateway, thirty-seventh session), and with nothing else to wait for, the
  // whole append up to its first statement had held a server's calls for 5–9 ms at 1,000 events.
  const stage = await s.conn.createAppender(STAGE_TABLE, 'main', 'temp');
  try {
    writeStageRows(stage, staged, columns);
  } finally {
    stage.closeSync();
  }
  await nextTurn();
  const dict = await s.conn.createAppender(STAGE_DICT_TABLE, 'main', 'temp');
  try {
    writeDictionary(dict, staged);
  } finally {
    dict.closeSync();
  }
  await nextTurn();
  const { constants } = staged;
  await contexts.load(s, batchSources(staged));
  await dedup.load(s);
  // The ts range of the rows that may repeat a stored event (null: none may).
  const range = dedup.candidates(staged);
  const out = await s.transaction('appending events', async () => {
    const rateIds = await writeNewRateCards(s, rates);
    // Staged rows the ledger already holds. The ts range bounds the scan to the row groups it can collide with
    // (zone maps on time-ordered data).
    if (range)
      await s.run(
        'deduplicating the batch',
        `CREATE OR REPLACE TEMP TABLE stage_held AS
         SELECT u.rowid AS r FROM ${STAGE_TABLE} u
         SEMI JOIN (SELECT event_id, ts FROM events
                    WHERE ts BETWEEN make_timestamp(?::BIGINT) AND make_timestamp(?::BIGINT)) e
           ON e.event_id = ((u.id_hi::UBIGINT << 32) | u.id_lo::UBIGINT) AND e.ts = make_timestamp(u.ts::BIGINT)`,
        [BigInt(range[0]), BigInt(range[1])],
      );
    // One statement for both: each costs a hop through DuckDB's thread pool, slow while parse workers hold the cores.
    // With nothing to look up, the highest context id is asked for only if the batch has new contexts (a server's
    // calls mostly have none).
    const [held, maxContextId] = range
      ? ((
          await s.rows(
            'deduplicating the batch',
            'SELECT (SELECT count(*) FROM stage_held), (SELECT coalesce(max(context_id), 0) FROM contexts)',
          )
        )[0]!.map(Number) as [number, number])
      : [0, null];
    const where = held > 0 ? 'WHERE s.rowid NOT IN (SELECT r FROM stage_held)' : '';
    const unpriced = held > 0 ? await insertedUnpriced(s, batch.unpriced, constants) : batch.unpriced;
    const { ids, learned } = await resolveBatchContexts(s, staged, contexts, where, maxContextId);
    const load = stageLoadSql(constants);
    const n = await s.run(
      'inserting events',
      `INSERT INTO events SELECT ${load.sql}
       FROM ${STAGE_TABLE} s, ${DICT_LIST} d, (SELECT ?::INTEGER[] AS ids) m ${where}`,
      [...load.params, duckdb.listValue(ids)],
    );
    if (n === 0) return { n, unpriced, rateIds, learned, pending: null };
    if (upkeep.kind === 'deferred') {
      const deferred = upkeep.deferred;
      await markRollupDaysDirty(
        s,
        staged.days.filter((d) => !deferred.has(d)),
      );
      return { n, unpriced, rateIds, learned, pending: null };
    }
    const pending = upkeep.pending;
    // Rows the ledger already held are not in the JS sums: DuckDB sums what was inserted then.
    if (where === '' && batch.rollups) await appendRollupRows(s, batch.rollups);
    else await insertRollupDeltas(s, where, constants, staged.splitParts);
    await markRollupDaysDirty(
      s,
      staged.days.filter((d) => !pending.has(d)),
    );
    const plan = planCompaction(pending, staged.days);
    await finishRollupDays(s, plan.finished);
    await compactPendingDays(s, plan.crowded);
    return { n, unpriced, rateIds, learned, pending: plan.next };
  });
  // Only once the transaction holds: a rolled-back batch left nothing to compact, and wrote no rate card or context.
  rates.markWritten(out.rateIds);
  contexts.remember(out.learned);
  dedup.remember(staged);
  if (upkeep.kind === 'deferred') {
    if (out.n > 0) for (const d of staged.days) upkeep.deferred.add(d);
  } else if (out.pending) {
    upkeep.pending.clear();
    for (const [d, k] of out.pending) upkeep.pending.set(d, k);
  }
  return { inserted: out.n, duplicates: batch.given - out.n, unpriced: out.unpriced };
}

/**
 * The unpriced events of a batch that the ledger did not hold already: `staged` (all of them) less the held rows'
 * (stage_held). Asked only when some were held, so an import that repeats nothing pays no extra statement.
 */
async function insertedUnpriced(
  s: DuckDbSession,
  staged: UnpricedCount,
  constants: BatchConstants,
): Promise<UnpricedCount> {
  if (staged.events === 0) return staged;
  const params: string[] = [];
  const costSource = stageValueSql('cost_source', constants, params);
  const tokens = [
    'input_tokens',
    'cache_read_tokens',
    'cache_write_5m_tokens',
    'cache_write_1h_tokens',
    'output_tokens',
  ]
    .map((c) => `${stageValueSql(c, constants, params)}::BIGINT`)
    .join(' + ');
  const [events, sum] = (
    await s.rows(
      'counting the unpriced events of the batch',
      `SELECT count(*), coalesce(sum(${tokens}), 0)::BIGINT FROM ${STAGE_TABLE} s, ${DICT_LIST} d
       WHERE s.rowid IN (SELECT r FROM stage_held) AND ${costSource}::VARCHAR = 'unpriced'`,
      params,
    )
  )[0]!.map(Number) as [number, number];
  return { events: staged.events - events, tokens: staged.tokens - sum };
}

/** The highest context id stored (0 in an empty ledger). */
async function highestContextId(s: DuckDbSession): Promise<number> {
  const rows = await s.rows(
    'finding the batch contexts',
    'SELECT coalesce(max(context_id), 0) FROM contexts',
  );
  return Number(rows[0]![0]);
}

/**
 * The context id of each batch context number (index 1..contexts; 0 where only rows the ledger already holds use
 * it), from the cache or newly written, and the (key, id) pairs the cache may take in once the transaction commits.
 */
async function resolveBatchContexts(
  s: DuckDbSession,
  b: EncodedBatch,
  cache: ContextCache,
  where: string,
  maxContextId: number | null,
): Promise<{ ids: number[]; learned: [string, number][] }> {
  const { keys, first } = batchContexts(b);
  const live =
    where === ''
      ? null
      : new Set(
          (
            await s.rows('finding the batch contexts', `SELECT DISTINCT s.ctx FROM ${STAGE_TABLE} s ${where}`)
          ).map((r) => Number(r[0])),
        );
  // 0 for none: a list parameter with a null in it is typed by its first element, and no context has id 0.
  const ids: number[] = new Array(b.contexts + 1).fill(0);
  const fresh: number[] = [];
  for (let k = 1; k <= b.contexts; k++) {
    if (live && !live.has(k)) continue;
    const id = cache.get(keys[k]!);
    if (id === undefined) fresh.push(k);
    else ids[k] = id;
  }
  // New ones numbered in order of first appearance (batch context numbers are), so consecutive events share runs of
  // ids, after the highest id stored (read here unless the dedupe statement read it).
  const highest = fresh.length === 0 ? 0 : (maxContextId ?? (await highestContextId(s)));
  for (const [j, k] of fresh.entries()) ids[k] = highest + 1 + j;
  // The list DuckDB indexes by context number (from 1).
  const byNumber = ids.slice(1);
  if (fresh.length > 0) {
    const params: string[] = [];
    const decoded = CONTEXT_COLUMNS.map((c) => {
      const type = EVENT_COLUMNS.find(([n]) => n === c)![1].replace(' NOT NULL', '');
      return `(${stageValueSql(c, b.constants, params)})::${type}`;
    });
    // The rows by a semi join: a join to them had DuckDB build its hash table from staged rows with the dictionary
    // list attached to each (out of memory at 30k distinct contexts).
    await s.run(
      'writing new contexts',
      `INSERT INTO contexts (context_id, ${CONTEXT_COLUMNS.map(q).join(', ')})
       SELECT m.ids[s.ctx], ${decoded.join(', ')}
       FROM ${STAGE_TABLE} s, ${DICT_LIST} d, (SELECT ?::INTEGER[] AS ids) m
       WHERE s.rowid IN (SELECT unnest(?::BIGINT[])) ORDER BY 1`,
      [...params, duckdb.listValue(byNumber), duckdb.listValue(fresh.map((k) => first[k]!))],
    );
  }
  const learned: [string, number][] = [];
  for (let k = 1; k <= b.contexts; k++) if (ids[k]! > 0) learned.push([keys[k]!, ids[k]!]);
  return { ids: byNumber, learned };
}
