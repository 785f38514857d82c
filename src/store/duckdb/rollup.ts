import { TOKEN_FIELDS, USAGE_FIELDS } from '../../ledger/event.js';
import { DAY_US } from '../sql/plan.js';
import { ROLLUP_DIMENSIONS } from '../sql/rollup-dims.js';
import { pricedSelectSql } from './cost-sql.js';
import {
  ALL_ROLLUP_DIMENSIONS,
  pendingTableLikeSql,
  q,
  ROLLUP_COLUMNS,
  ROLLUP_TABLES,
  type RollupTable,
  rollupFromEventsSql,
  rollupMoneySql,
  SESSION_ROLLUP,
  SESSION_SPLIT_TABLE,
} from './schema.js';
import type { DuckDbSession } from './session.js';
import { type BatchConstants, DICT_LIST, STAGE_TABLE, stageValueSql } from './stage.js';

const MEASURES = ROLLUP_COLUMNS.slice(1 + ROLLUP_DIMENSIONS.length).map(([n]) => n);
const keysOf = (t: RollupTable) => ['day', ...t.dimensions].map(q).join(', ');

/** The staged batch grouped once on the codes of every rollup dimension (stagedRollupDeltaSql reads it). */
const STAGE_ROLLUP_TABLE = 'stage_rollup';

/**
 * SQL leaving the staged batch's rows (those passing `where`) priced and grouped on the dictionary codes of every
 * rollup's dimensions in STAGE_ROLLUP_TABLE. Pricing each event is the expensive part, so it is done once for all
 * rollups; each then re-groups these few thousand rows (stagedRollupDeltaSql).
 */
function stageRollupSql(
  where: string,
  constants: BatchConstants,
  splitParts: boolean,
): { sql: string; params: string[] } {
  const params: string[] = [];
  const given = (m: string) => stageValueSql(`given_${m}`, constants, params);
  // Dimensions constant over the batch are not staged: they are bound once when decoding.
  const varying = ALL_ROLLUP_DIMENSIONS.filter((dim) => !constants.has(dim));
  const codes = varying.map((dim) => `, s.${q(dim)}`).join('');
  const priced = pricedSelectSql({
    keep: `date_trunc('day', make_timestamp(s.ts::BIGINT)) AS day${codes}, ${USAGE_FIELDS.map((f) => `s.${q(f)}`).join(', ')}`,
    from: `${STAGE_TABLE} s LEFT JOIN rate_cards r ON r.rate_id = s.rate_id CROSS JOIN ${DICT_LIST} d`,
    where,
    e: 's',
    r: 'r',
    given,
    // A batch is small next to a report's range: planning the shortcuts cost more than they saved (cost-sql.ts).
    shortcuts: false,
    splitParts,
  });
  const sql = `CREATE OR REPLACE TEMP TABLE ${STAGE_ROLLUP_TABLE} AS SELECT day${varying.map((dim) => `, ${q(dim)}`).join('')},
    count(*) AS events,
    ${USAGE_FIELDS.map((f) => `sum(${q(f)}) AS ${q(f)}`).join(', ')},
    ${rollupMoneySql()},
    0::HUGEINT AS billed_delta_usd,
    0::BIGINT AS billed_unpriced_delta,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_events,
    coalesce(sum(${TOKEN_FIELDS.map(q).join(' + ')}) FILTER (WHERE cost_usd IS NULL), 0) AS unpriced_tokens
  FROM (${priced}) p
  GROUP BY ALL`;
  return { sql, params };
}

/**
 * Rollup `t`'s rows of the batch grouped in STAGE_ROLLUP_TABLE: re-grouped on the codes of its dimensions and only
 * then decoded (decoding strings is the expensive part of staging). Sums of sums: every measure is additive.
 */
function stagedRollupDeltaSql(t: RollupTable, constants: BatchConstants): { sql: string; params: string[] } {
  const params: string[] = [];
  const varying = t.dimensions.filter((dim) => !constants.has(dim));
  const inner = `SELECT day${varying.map((dim) => `, ${q(dim)}`).join('')},
    ${MEASURES.map((m) => `sum(${q(m)}) AS ${q(m)}`).join(', ')}
  FROM ${STAGE_ROLLUP_TABLE} GROUP BY ALL`;
  const decode = t.dimensions
    .map((dim) => `${stageValueSql(dim, constants, params, 'g')} AS ${q(dim)}`)
    .join(', ');
  return {
    sql: `SELECT g.day, ${decode}, ${MEASURES.map((m) => `g.${q(m)}::${measureType(m)}`).join(', ')}
FROM (${inner}) g, ${DICT_LIST} d`,
    params,
  };
}

const measureType = (m: string) => ROLLUP_COLUMNS.find(([n]) => n === m)![1].replace(' NOT NULL', '');

/**
 * Appends the batch's rollup rows as they are to each rollup's pending table: a key can have several rows there
 * until its day is compacted. Readers sum both tables (rollupSourceSql), so the totals are the same either way.
 * Merging each batch into rollup_day re-summed and rewrote all of a day's rows (~10k at 10M demo events) for every
 * batch, and left the deleted copies in the file.
 */
export async function insertRollupDeltas(
  s: DuckDbSession,
  where: string,
  constants: BatchConstants,
  splitParts: boolean,
): Promise<void> {
  const stage = stageRollupSql(where, constants, splitParts);
  await s.run('aggregating the batch', stage.sql, stage.params);
  for (const t of ROLLUP_TABLES) {
    const delta = stagedRollupDeltaSql(t, constants);
    await s.run('aggregating the batch', `INSERT INTO ${t.pending} ${delta.sql}`, delta.params);
  }
}

/** Appends a day takes in rollup_pending before its rows there are merged (a server's today keeps taking them). */
export const COMPACT_EVERY = 8;

/**
 * What to do after an append touching `days` (µs at UTC midnight), given how many appends each pending day has
 * taken (`pending`): days before the batch's latest are finished on time-ordered input and move into rollup_day
 * (`finished`); a day still open with COMPACT_EVERY appends is merged within rollup_pending (`crowded`). Returns the
 * pending counts once that is done.
 */
export function planCompaction(
  pending: ReadonlyMap<number, number>,
  days: readonly number[],
): { finished: number[]; crowded: number[]; next: Map<number, number> } {
  const next = new Map(pending);
  for (const d of days) next.set(d, (next.get(d) ?? 0) + 1);
  const latest = Math.max(...days);
  const finished: number[] = [];
  const crowded: number[] = [];
  for (const [d, n] of [...next].sort((a, b) => a[0] - b[0])) {
    if (d < latest) {
      finished.push(d);
      next.delete(d);
    } else if (n >= COMPACT_EVERY) {
      crowded.push(d);
      next.set(d, 1);
    }
  }
  return { finished, crowded, next };
}

/** `day IN (…)` for days this code computed (integers, never user text: written into the SQL as numbers). */
function inDays(days: readonly number[]): string {
  for (const d of days) if (!Number.isSafeInteger(d)) throw new Error(`not a day: ${d}`);
  return `day IN (${days.map((d) => `make_timestamp(${d}::BIGINT)`).join(', ')})`;
}

const SUMS = MEASURES.map((m) => `sum(${q(m)}) AS ${q(m)}`).join(', ');

/** Records days that now have rows in rollup_pending, in the append's transaction (rollup_dirty). */
export async function markRollupDaysDirty(s: DuckDbSession, days: readonly number[]): Promise<void> {
  if (days.length === 0) return;
  await s.run(
    'marking rollup days',
    `INSERT INTO rollup_dirty SELECT make_timestamp(unnest([${days.map((d) => `${Math.trunc(d)}::BIGINT`).join(', ')}]))`,
  );
}

/**
 * Days a process left in rollup_dirty (it did not close the store: its pending rows were lost with it, or it
 * deferred them) are rebuilt from the events.
 */
export async function recoverDirtyRollupDays(s: DuckDbSession): Promise<void> {
  const rows = await s.rows('reading the rollup', 'SELECT DISTINCT epoch_us(day) FROM rollup_dirty');
  await rebuildDirtyDays(
    s,
    rows.map((r) => Number(r[0])),
  );
}

/**
 * Events in the time span of days rebuilt together: one scan of their events (zone maps skip the rest) grouped in
 * memory. A week of the 10M-event demo (~2.3M events, ~150k groups of every rollup's keys) ran the 128MB pool of a
 * canonical import out of memory at close, where a day of it (~330k events) did not; under this bound such a day is
 * still rebuilt alone, and no group holds more than the largest single day. Smaller days go together: each group is
 * ~15 statements of several kB to plan (~3 ms each), and an agent-log import (15k events over 3 days) spent ~130–170
 * ms of its close rebuilding them a day at a time, ~60 ms as one group.
 */
export const REBUILD_EVENTS = 250_000;

/**
 * Rebuilds dirty `days` (µs at UTC midnight) of every rollup from the events, in groups (rebuildGroups), each group
 * in its own transaction that also clears those days from rollup_dirty: a process dying midway leaves the rest
 * dirty, for the next open.
 */
export async function rebuildDirtyDays(
  s: DuckDbSession,
  days: readonly number[],
  limit = REBUILD_EVENTS,
): Promise<void> {
  return rebuildDayGroups(s, await dayGroups(s, days, limit));
}

/** rebuildDirtyDays of days already grouped (dayGroups). */
export async function rebuildDayGroups(s: DuckDbSession, groups: readonly number[][]): Promise<void> {
  for (const group of groups) {
    await s.transaction('rebuilding the rollup', async () => {
      await rebuildGroup(s, group, true);
      await s.run('rebuilding the rollup', `DELETE FROM rollup_dirty WHERE ${inDays(group)}`);
    });
  }
}

/**
 * rebuildDirtyDays on several connections at once, the days shared out between them: a bulk import's close spent
 * ~2.5 s of a 1M-event import rebuilding 31 days on one core, 1.5 s on two. A session that spans days rebuilt by
 * different connections has a row from each, and neither transaction sees the other's, so it would not be listed as
 * split: the days' rows are written without that, and stay in rollup_dirty until one last transaction lists the
 * split sessions of all of them and clears them. A process dying before it leaves them dirty, to be rebuilt again
 * (to the same rows) at the next open.
 */
export async function rebuildDirtyDaysSideBySide(
  sessions: readonly DuckDbSession[],
  groups: readonly number[][],
): Promise<void> {
  const days = groups.flat();
  await Promise.all(
    sessions.map(async (s, k) => {
      for (let i = k; i < groups.length; i += sessions.length) {
        await s.transaction('rebuilding the rollup', () => rebuildGroup(s, groups[i]!, false));
      }
    }),
  );
  const s = sessions[0]!;
  await s.transaction('rebuilding the rollup', async () => {
    await markSplitSessions(s, inDays(days));
    await s.run('rebuilding the rollup', `DELETE FROM rollup_dirty WHERE ${inDays(days)}`);
  });
}

/** The days in groups of consecutive ones (groupDays), by the events each day's span holds now. */
export async function dayGroups(
  s: DuckDbSession,
  days: readonly number[],
  limit: number,
): Promise<number[][]> {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length < 2) return sorted.map((d) => [d]);
  const rows = await s.rows(
    'rebuilding the rollup',
    `SELECT epoch_us(date_trunc('day', ts)), count(*) FROM events WHERE ts >= make_timestamp(${Math.trunc(sorted[0]!)}::BIGINT) AND ts < make_timestamp(${Math.trunc(sorted.at(-1)!) + DAY_US}::BIGINT) GROUP BY ALL`,
  );
  return groupDays(sorted, new Map(rows.map((r) => [Number(r[0]), Number(r[1])])), limit);
}

/**
 * Sorted days in runs whose time span (from the run's first day to the end of its last, days between included:
 * that is what a group's scan reads) holds at most `limit` events, given the events per day; a day over the limit
 * is a group of its own.
 */
export function groupDays(
  sorted: readonly number[],
  perDay: ReadonlyMap<number, number>,
  limit: number,
): number[][] {
  const between = [...perDay].sort((a, b) => a[0] - b[0]);
  const spanEvents = (from: number, to: number) =>
    between.reduce((n, [d, c]) => (d > from && d <= to ? n + c : n), 0);
  const groups: number[][] = [];
  let group: number[] = [];
  let events = 0;
  for (const day of sorted) {
    const prev = group.at(-1);
    const adds = prev === undefined ? (perDay.get(day) ?? 0) : spanEvents(prev, day);
    if (prev !== undefined && events + adds > limit) {
      groups.push(group);
      group = [];
      events = perDay.get(day) ?? 0;
    } else events += adds;
    group.push(day);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function rebuildGroup(s: DuckDbSession, group: readonly number[], markSplit: boolean): Promise<void> {
  await s.run(
    'rebuilding the rollup',
    `CREATE OR REPLACE TEMP TABLE dirty_days AS SELECT make_timestamp(unnest([${group.map((d) => `${Math.trunc(d)}::BIGINT`).join(', ')}])) AS day`,
  );
  await rebuildRollupDays(s, 'dirty_days', ROLLUP_TABLES, markSplit);
}

/**
 * Adds to rollup_session_split the sessions with rows in rollup_session `where` that now have more than one row
 * there. Run after every write of the session rollup, in its transaction; ids already listed stay (the list may
 * hold more than the split sessions, never fewer).
 */
export async function markSplitSessions(s: DuckDbSession, where: string): Promise<void> {
  await s.run(
    'listing split sessions',
    `INSERT INTO ${SESSION_SPLIT_TABLE}
     SELECT session_id FROM ${SESSION_ROLLUP.table}
     WHERE session_id IN (SELECT session_id FROM ${SESSION_ROLLUP.table} WHERE ${where})
     GROUP BY session_id HAVING count(*) > 1
     EXCEPT SELECT session_id FROM ${SESSION_SPLIT_TABLE}`,
  );
}

/** Moves `days` into each rollup table: their rows in both its tables re-summed to one row per key. */
export async function finishRollupDays(s: DuckDbSession, days: readonly number[]): Promise<void> {
  if (days.length === 0) return;
  const where = inDays(days);
  await s.run('compacting the rollup', `DELETE FROM rollup_dirty WHERE ${where}`);
  for (const t of ROLLUP_TABLES) {
    await s.run(
      'compacting the rollup',
      `CREATE OR REPLACE TEMP TABLE rollup_merged AS SELECT ${keysOf(t)}, ${SUMS} FROM (
         SELECT * FROM ${t.table} WHERE ${where} UNION ALL SELECT * FROM ${t.pending} WHERE ${where}
       ) GROUP BY ALL`,
    );
    // Nothing to delete on time-ordered input (a day is finished once): the table then only ever grows.
    await s.run('compacting the rollup', `DELETE FROM ${t.table} WHERE ${where}`);
    await withoutPendingDays(s, t, where);
    await s.run('compacting the rollup', `INSERT INTO ${t.table} SELECT * FROM rollup_merged ORDER BY day`);
  }
  await dropMerged(s);
  await markSplitSessions(s, where);
}

/** Merges the rows of `days` within each pending table to one row per key. */
export async function compactPendingDays(s: DuckDbSession, days: readonly number[]): Promise<void> {
  if (days.length === 0) return;
  const where = inDays(days);
  for (const t of ROLLUP_TABLES) {
    await s.run(
      'compacting the rollup',
      `CREATE OR REPLACE TEMP TABLE rollup_merged AS
       SELECT ${keysOf(t)}, ${SUMS} FROM ${t.pending} WHERE ${where} GROUP BY ALL`,
    );
    await withoutPendingDays(s, t, where, 'SELECT * FROM rollup_merged');
  }
  await dropMerged(s);
}

/**
 * The merged rows are in their tables now; kept, the last table's copy held its memory until the next compaction (a
 * server's today in the session rollup: with 4,000 sessions of 40 users, 125,000 rows after 160,000 calls).
 */
async function dropMerged(s: DuckDbSession): Promise<void> {
  await s.run('compacting the rollup', 'DROP TABLE rollup_merged');
}

/**
 * Takes the rows matching `where` out of rollup `t`'s pending table, adding the rows of `add` (a SELECT) if given, by
 * building the table again rather than deleting from it: DuckDB never frees what rows deleted from a temporary (in
 * memory) table took, so a server compacting today's rows every COMPACT_EVERY appends held ~0.9 MB more after each
 * compaction of 14,000 rows, ~230 MB after 500,000 events (duckdb_memory(), IN_MEMORY_TABLE), until the memory limit
 * made it spill. A table dropped gives its memory back. The rename is transactional, like the rest of the append.
 */
async function withoutPendingDays(
  s: DuckDbSession,
  t: RollupTable,
  where: string,
  add?: string,
): Promise<void> {
  // Nothing to take out and nothing to add (an import's rebuild at close: its pending tables stay empty): the four
  // statements below cost ~2.5 ms a table, this check ~0.7.
  if (add === undefined) {
    const [[held]] = (await s.rows(
      'compacting the rollup',
      `SELECT EXISTS (SELECT 1 FROM ${t.pending} WHERE ${where})`,
    )) as [[boolean]];
    if (!held) return;
  }
  await s.run('compacting the rollup', pendingTableLikeSql(t, 'rollup_pending_next'));
  await s.run(
    'compacting the rollup',
    `INSERT INTO rollup_pending_next SELECT * FROM (
       SELECT * FROM ${t.pending} WHERE NOT (${where})${add ? ` UNION ALL ${add}` : ''}
     ) ORDER BY day`,
  );
  await s.run('compacting the rollup', `DROP TABLE ${t.pending}`);
  await s.run('compacting the rollup', `ALTER TABLE rollup_pending_next RENAME TO ${t.pending}`);
}

/**
 * Recomputes whole days of every rollup (or of `tables`) from the ledger (after a reprice changed events in them, or
 * for days left dirty). The events are priced and grouped on the dimensions of all the rollups once, then each
 * rollup re-groups those rows: pricing the events (a join to their contexts and the cost formula) is the expensive
 * part, and was done once per rollup.
 */
export async function rebuildRollupDays(
  s: DuckDbSession,
  daysTable: string,
  tables: readonly RollupTable[] = ROLLUP_TABLES,
  /** False only when the caller lists split sessions itself, over more days (rebuildDirtyDaysSideBySide). */
  markSplit = true,
): Promise<void> {
  const [lo, hi] = (
    await s.rows('rebuilding the rollup', `SELECT epoch_us(min(day)), epoch_us(max(day)) FROM ${daysTable}`)
  )[0]!;
  if (lo === null || hi === null) return;
  // Literal bounds on ts let zone maps skip every other row group (a filter on date_trunc(ts) alone scanned them all).
  const bounds = `ts >= make_timestamp(${BigInt(lo as bigint)}::BIGINT) AND ts < make_timestamp(${BigInt(hi as bigint) + BigInt(DAY_US)}::BIGINT)`;
  const inDaysTable = `day IN (SELECT day FROM ${daysTable})`;
  const dims = [...new Set(tables.flatMap((t) => t.dimensions))];
  // The days' contexts only (ids are given in order of first appearance, so a time range's lie in a narrow id range):
  // joining to every context hashed the whole table for each group of days.
  const [clo, chi] = (
    await s.rows(
      'rebuilding the rollup',
      `SELECT min(context_id), max(context_id) FROM events WHERE ${bounds}`,
    )
  )[0]!;
  if (clo === null || chi === null) return;
  const ids = `BETWEEN ${Number(clo)} AND ${Number(chi)}`;
  await s.run(
    'rebuilding the rollup',
    `CREATE OR REPLACE TEMP TABLE rollup_rebuilt AS ${rollupFromEventsSql(
      `${bounds} AND date_trunc('day', ts) IN (SELECT day FROM ${daysTable})`,
      ids,
      dims,
    )}`,
  );
  for (const t of tables) {
    await s.run('rebuilding the rollup', `DELETE FROM ${t.table} WHERE ${inDaysTable}`);
    await withoutPendingDays(s, t, inDaysTable);
    await s.run(
      'rebuilding the rollup',
      `INSERT INTO ${t.table} SELECT ${keysOf(t)}, ${SUMS} FROM rollup_rebuilt GROUP BY ALL ORDER BY day`,
    );
  }
  if (markSplit && tables.includes(SESSION_ROLLUP)) await markSplitSessions(s, inDaysTable);
  await s.run('rebuilding the rollup', 'DROP TABLE rollup_rebuilt');
}
