import { availableParallelism } from 'node:os';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { AttributionPatch } from '../../ledger/attribution-patch.js';
import type { CallContent } from '../../ledger/call-content.js';
import { CACHED_REF_PREFIX, GATEWAY_CACHE_TAG, type UsageEvent } from '../../ledger/event.js';
import { isLedgerId } from '../../ledger/event-id.js';
import type { ImportRecords } from '../import-records.js';
import type { CacheSavingsRow, EnergyRow, Query, QueryResult } from '../query.js';
import { cacheSavingsRows, compileCacheSavings, HITS } from '../sql/compile-cache-savings.js';
import { compileEnergy, energyRows } from '../sql/compile-energy.js';
import {
  type CompiledQuery,
  compileQuery,
  filtersSql,
  type Param,
  rangeSql,
  SLOTS_TABLE,
} from '../sql/compile-query.js';
import { edgeRanges, pickRollup, planRead, type Range, validateQuery, type Weigh } from '../sql/plan.js';
import { reportResult } from '../sql/report-rows.js';
import { ROLLUPS } from '../sql/rollup-dims.js';
import type {
  EventAppendResult,
  EventFilter,
  ExportOptions,
  ExportResult,
  RepriceAudit,
  Repricer,
  RepriceSelection,
  RepriceSummary,
  Store,
} from '../store.js';
import { type RollupUpkeep, writeBatch } from './append.js';
import { attributeEvents } from './attribute.js';
import { CALL_CONTENT_READ_SQL, deleteCallContent, insertCallContent } from './call-content.js';
import { ContextCache } from './context-cache.js';
import { DUCKDB_DIALECT } from './dialect.js';
import { exportLedger } from './export.js';
import { exportFocus } from './focus-export.js';
import { createDuckDbImportRecords } from './import-records.js';
import { type DuckDbOptions, openLedger, ROW_GROUP_ROWS } from './open.js';
import { adoptRateIds, type PreparedBatch, prepareBatch } from './prepare-batch.js';
import type { RateCardRegistry } from './rate-cards.js';
import { EVENT_READ_SQL, micros, rowToEvent } from './read.js';
import { ReadPool } from './read-pool.js';
import { readAudit, repriceEvents } from './reprice.js';
import {
  dayGroups,
  finishRollupDays,
  REBUILD_EVENTS,
  rebuildDayGroups,
  rebuildDirtyDays,
  rebuildDirtyDaysSideBySide,
  recoverDirtyRollupDays,
} from './rollup.js';
import {
  pendingTablesSql,
  pricedRelationSql,
  ROLLUP_SOURCES,
  SESSION_ROWS,
  wideEventsSql,
} from './schema.js';
import { WriterDedup } from './seen-ids.js';
import { DuckDbSession } from './session.js';

export const DUCKDB_STORE = 'duckdb';
/**
 * Ids a long-running store remembers per generation (seen-ids.ts WriterDedup): its first filter's size, ~2 MB. Two
 * generations reach ~5 minutes back at 1,000 calls a second; an older call is looked up in DuckDB.
 */
const DEDUP_GENERATION_IDS = 300_000;

/**
 * The embedded ledger: one DuckDB file, no server.
 *
 * @example
 * const store = await createDuckDbStore('.tokenledger/ledger.duckdb');
 * await store.append(events);
 * const { rows, totals } = await store.query({ dimensions: ['team'], bucket: 'day' });
 * await store.close();
 */
export async function createDuckDbStore(path: string, options: DuckDbOptions = {}): Promise<Store> {
  const { session, rates } = await openLedger(path, options);
  await recoverDirtyRollupDays(session);
  return new DuckDbStore(
    session,
    rates,
    options.deferRollups === true,
    options.rebuildEvents ?? REBUILD_EVENTS,
  );
}

class DuckDbStore implements Store {
  readonly id = DUCKDB_STORE;
  readonly records: ImportRecords;
  /** Rollup days with appended rows not yet compacted (rollup.ts), and how many appends each took. */
  private readonly rollupPending = new Map<number, number>();
  /** With deferRollups: days appended to whose rollup rows are not rebuilt yet (all in rollup_dirty). */
  private readonly rollupDeferred = new Set<number>();
  private readonly upkeep: RollupUpkeep;
  /** Days of appends queued or running, by how many: their rollup rows may be pending any moment now. */
  private readonly appending = new Map<number, number>();
  private readonly readers: ReadPool;
  private readonly contexts = new ContextCache();
  /** What this store has written: the ledger has one writing process, and it is this store's (ARCHITECTURE.md). */
  private readonly dedup: WriterDedup;

  constructor(
    private readonly s: DuckDbSession,
    private readonly rates: RateCardRegistry,
    deferRollups: boolean,
    private readonly rebuildEvents: number,
  ) {
    this.upkeep = deferRollups
      ? { kind: 'deferred', deferred: this.rollupDeferred }
      : { kind: 'pending', pending: this.rollupPending };
    // A bulk writer keeps every id it stored; a long-running one (serve) its last generations (seen-ids.ts).
    this.dedup = new WriterDedup(deferRollups ? undefined : DEDUP_GENERATION_IDS);
    this.records = createDuckDbImportRecords(s);
    this.readers = new ReadPool(() => this.connectBeside());
  }

  append(events: readonly UsageEvent[]): Promise<EventAppendResult> {
    // Encoded now, synchronously, while the connection may still run an earlier append: a caller that does not
    // wait for one append before the next (the canonical importer) has its batches encoded beside DuckDB's work.
    // Not an async function: its suspended frame would keep `events` (20k objects a batch) alive until written.
    let batch: PreparedBatch;
    try {
      batch = prepareBatch(events, this.rates, false, this.upkeep.kind === 'pending');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write(batch);
  }

  appendPrepared(batch: PreparedBatch): Promise<EventAppendResult> {
    return this.write(adoptRateIds(batch, this.rates));
  }

  /** Events written by this store since it was opened (repeats of stored ones included). */
  private appended = 0;

  private async write(batch: PreparedBatch): Promise<EventAppendResult> {
    this.appended += batch.staged?.rows ?? 0;
    const days = batch.staged?.days ?? [];
    for (const d of days) this.appending.set(d, (this.appending.get(d) ?? 0) + 1);
    try {
      return await this.s.exclusive(() =>
        writeBatch(this.s, this.rates, this.contexts, this.dedup, batch, this.upkeep),
      );
    } finally {
      for (const d of days) {
        const n = this.appending.get(d)! - 1;
        if (n === 0) this.appending.delete(d);
        else this.appending.set(d, n);
      }
    }
  }

  /**
   * Whether rollup days in `r` may have rows in the writing connection's pending tables (or soon will: an append for
   * them is queued), which other connections cannot see.
   */
  private pendingWithin(r: Range): boolean {
    const inside = (d: number) => (r.from === undefined || d >= r.from) && (r.to === undefined || d < r.to);
    for (const d of this.rollupPending.keys()) if (inside(d)) return true;
    for (const d of this.rollupDeferred) if (inside(d)) return true;
    for (const d of this.appending.keys()) if (inside(d)) return true;
    return false;
  }

  /**
   * Weighs both sides of each partial day by the events in them, so a plan reads the lighter side: a report until
   * now subtracts the (empty) rest of today instead of summing today's events, whatever the hour. One count over at
   * most two days of `ts` (zone maps), against reading up to a day of events joined and priced.
   */
  private async weighEdges(q: Query): Promise<Weigh | undefined> {
    const edges = edgeRanges(q);
    if (edges.length === 0 || !pickRollup(q)) return undefined;
    const counts = await this.readers
      .use((c) => perRange(c, edges, 'count(*)'))
      .catch((err: unknown) => {
        throw this.s.wrap('weighing a report range', err);
      });
    const n = new Map(edges.map((r, i) => [`${r.from}-${r.to}`, Number(counts[i]![0])]));
    return (r) => n.get(`${r.from}-${r.to}`) ?? r.to - r.from;
  }

  /**
   * Another connection on the ledger, beside the writing one, with its own (empty) pending rollup tables so that the
   * rollup SQL compiles on it too.
   */
  private async connectBeside(): Promise<DuckDBConnection> {
    const c = await this.s.connect();
    for (const sql of pendingTablesSql()) await c.run(sql);
    return c;
  }

  /**
   * At close, the deferred days rebuilt on two connections side by side (rebuildDirtyDaysSideBySide): nothing else
   * runs by then, and one DuckDB thread per connection (imports open it with one) left the second core idle.
   */
  private async rebuildDeferredAtClose(): Promise<void> {
    const groups = await dayGroups(this.s, [...this.rollupDeferred], this.rebuildEvents);
    if (groups.length < 2) {
      await rebuildDayGroups(this.s, groups);
      this.rollupDeferred.clear();
      return;
    }
    const conn = await this.connectBeside();
    try {
      await rebuildDirtyDaysSideBySide([this.s, new DuckDbSession(this.s.instance, conn)], groups);
    } finally {
      conn.closeSync();
    }
    this.rollupDeferred.clear();
  }

  /** Deferred rollup days rebuilt from the events (on the writing connection). */
  private async rebuildDeferred(): Promise<void> {
    if (this.rollupDeferred.size === 0) return;
    const days = [...this.rollupDeferred];
    await rebuildDirtyDays(this.s, days, this.rebuildEvents);
    for (const d of days) this.rollupDeferred.delete(d);
  }

  async query(q: Query): Promise<QueryResult> {
    validateQuery(q);
    const plan = planRead(q, ROLLUPS, await this.weighEdges(q));
    const run = async (conn: DuckDBConnection) => {
      const rawRanges = [...plan.raw, ...(plan.minus ?? [])];
      const raw = await rawSource(conn, rawRanges).catch((err: unknown) => {
        throw this.s.wrap('running a report query', err);
      });
      const compiled = compileQuery(q, DUCKDB_DIALECT, plan, {
        raw,
        rollup: ROLLUP_SOURCES,
        sessions: SESSION_ROWS,
      });
      const result = await readReport(conn, compiled).catch((err: unknown) => {
        throw this.s.wrap('running a report query', err);
      });
      const names = result.columnNames();
      const records = result
        .getRows()
        .map((values) => Object.fromEntries(names.map((n, i) => [n, values[i] ?? null])));
      return reportResult(q, compiled.dimAliases, records, (b) =>
        new Date(micros(b as DuckDBValue) / 1000).toISOString(),
      );
    };
    // Rollup days with pending rows are only complete on the writing connection; deferred ones are rebuilt first.
    if (plan.rollup && this.pendingWithin(plan.rollup))
      return this.s.exclusive(async () => {
        await this.rebuildDeferred();
        return run(this.s.conn);
      });
    return this.readers.use((c) => inSnapshot(c, () => run(c)));
  }

  async energy(q: Query): Promise<EnergyRow[]> {
    validateQuery(q);
    const rows = await this.readers.use((c) =>
      inSnapshot(c, async () => {
        // The contexts of the events with energy, by id bounds, as rawSource bounds a range's: joined to all of them,
        // a ledger without energy (every hosted-API user's) took 25–65 ms at 2.6M demo events; bounded, ~2 ms.
        const [lo, hi] = (
          await c.runAndReadAll(
            'SELECT min(context_id), max(context_id) FROM events WHERE energy_j IS NOT NULL',
          )
        ).getRows()[0]!;
        if (lo === null || hi === null) return [];
        const ids = (t: string) => `${t}.context_id BETWEEN ${Number(lo)} AND ${Number(hi)}`;
        const raw = `(${pricedRelationSql(`(${wideEventsSql(`WHERE e.energy_j IS NOT NULL AND ${ids('c')} AND ${ids('e')}`)})`)})`;
        const { sql, params } = compileEnergy(q, DUCKDB_DIALECT, raw);
        return (await c.runAndReadAll(sql, params as DuckDBValue[])).getRows();
      }).catch((err: unknown) => {
        throw this.s.wrap('reading energy', err);
      }),
    );
    return energyRows(q, rows, (b) => new Date(micros(b as DuckDBValue) / 1000).toISOString());
  }

  async cacheSavings(q: Query): Promise<CacheSavingsRow[]> {
    validateQuery(q);
    const rows = await this.readers.use((c) =>
      inSnapshot(c, async () => {
        // The contexts of hits, by id bounds, as energy's: a ledger without a response cache answers at once.
        const [lo, hi] = (
          await c.runAndReadAll(
            'SELECT min(context_id), max(context_id) FROM contexts WHERE map_extract_value(tags, $1) = $2',
            [GATEWAY_CACHE_TAG, 'hit'],
          )
        ).getRows()[0]!;
        if (lo === null || hi === null) return [];
        const ids = (t: string) => `${t}.context_id BETWEEN ${Number(lo)} AND ${Number(hi)}`;
        const start = CACHED_REF_PREFIX.length + 1;
        const { sql, params } = compileCacheSavings(q, DUCKDB_DIALECT, {
          hits: `(${pricedRelationSql(`(${wideEventsSql(`WHERE ${ids('c')} AND ${ids('e')}`)})`)})`,
          originals: `(${pricedRelationSql(`(${wideEventsSql(`WHERE e.event_id IN (SELECT original FROM ${HITS})`)})`)})`,
          // event_id is a UBIGINT here (schema.ts); the hit names it in hex.
          originalId: (ref) => `TRY_CAST(('0x' || substr(${ref}, ${start})) AS UBIGINT)`,
        });
        return (await c.runAndReadAll(sql, params as DuckDBValue[])).getRows();
      }).catch((err: unknown) => {
        throw this.s.wrap('reading cache savings', err);
      }),
    );
    return cacheSavingsRows(q, rows, (b) => new Date(micros(b as DuckDBValue) / 1000).toISOString());
  }

  /** A read of committed tables only (no pending rollup rows): on a pooled connection, beside other reads. */
  private read(what: string, sql: string, params: readonly Param[] = []): Promise<DuckDBValue[][]> {
    return this.readers.use(async (c) => {
      try {
        return (await c.runAndReadAll(sql, params as DuckDBValue[])).getRows();
      } catch (err) {
        throw this.s.wrap(what, err);
      }
    });
  }

  async events(f: EventFilter): Promise<UsageEvent[]> {
    validateQuery({ dimensions: [], filters: f.filters, since: f.since, until: f.until });
    const rows = await this.readers.use((c) =>
      inSnapshot(c, async () => {
        const range = await newestRange(c, f);
        const source = await pageSource(c, range);
        const params: Param[] = [];
        const where = [
          rangeSql('ts', range, DUCKDB_DIALECT, params),
          ...filtersSql(f.filters, DUCKDB_DIALECT, params),
        ];
        let sql = `SELECT ${EVENT_READ_SQL} FROM ${source} WHERE ${where.join(' AND ')} ORDER BY ts DESC, event_id DESC`;
        if (f.limit !== undefined) {
          sql += ' LIMIT ?';
          params.push(f.limit);
        }
        return (await c.runAndReadAll(sql, params as DuckDBValue[])).getRows();
      }).catch((err: unknown) => {
        throw this.s.wrap('reading events', err);
      }),
    );
    return rows.map((r) => rowToEvent(r, this.rates));
  }

  async held(events: readonly { event_id: string; ts: number }[]): Promise<Set<string>> {
    // Only ids in the ledger's form can be stored (stage-encode refuses others); written as numbers, as `within`
    // writes the range, so the read needs no parameter per id.
    const ask = events.filter((e) => isLedgerId(e.event_id) && Number.isSafeInteger(e.ts));
    if (ask.length === 0) return new Set();
    let from = ask[0]!.ts;
    let to = from;
    for (const e of ask) {
      from = Math.min(from, e.ts);
      to = Math.max(to, e.ts);
    }
    const ids = [...new Set(ask.map((e) => BigInt(`0x${e.event_id}`).toString()))].join(', ');
    const rows = await this.read(
      'looking events up by id',
      `SELECT printf('%016x', event_id), epoch_us(ts) FROM events WHERE ${within({ from, to: to + 1 }, 'ts')} AND event_id IN (${ids})`,
    );
    const found = new Set(rows.map(([id, ts]) => `${String(id)}@${String(ts)}`));
    return new Set(ask.filter((e) => found.has(`${e.event_id}@${e.ts}`)).map((e) => e.event_id));
  }

  async count(): Promise<number> {
    const rows = await this.read('counting events', 'SELECT count(*) FROM events');
    return Number(rows[0]![0]);
  }

  export(o: ExportOptions): Promise<ExportResult> {
    return this.s.exclusive(() =>
      o.format === 'focus' || o.format === 'focus-parquet'
        ? exportFocus(this.s, { ...o, parquet: o.format === 'focus-parquet' })
        : exportLedger(this.s, { ...o, format: o.format }),
    );
  }

  attribute(patches: readonly AttributionPatch[]): Promise<{ patched: number }> {
    return this.s.exclusive(() => attributeEvents(this.s, patches));
  }

  storeContent(contents: readonly CallContent[]): Promise<{ inserted: number }> {
    return insertCallContent(this.s, contents);
  }

  async content(eventId: string, ts: number): Promise<CallContent | null> {
    const rows = await this.read('reading call content', CALL_CONTENT_READ_SQL, [eventId, BigInt(ts)]);
    const r = rows[0];
    return r === undefined
      ? null
      : { event_id: eventId, ts, request: String(r[0]), completion: String(r[1]) };
  }

  async purgeContent(f: EventFilter): Promise<{ deleted: number }> {
    validateQuery({ dimensions: [], filters: f.filters, since: f.since, until: f.until });
    const range: Range = { from: f.since, to: f.until };
    return this.s.exclusive(async () => {
      const params: Param[] = [];
      const on = rangeSql('ts', range, DUCKDB_DIALECT, params);
      if ((f.filters ?? []).length === 0) return deleteCallContent(this.s, on, params);
      // Only events carry attribution: the calls are chosen by their events, in the same range (its parameters
      // again, for the subquery's copy of it).
      const source = await rawSource(this.s.conn, [range]);
      params.push(...params);
      const where = [on, ...filtersSql(f.filters, DUCKDB_DIALECT, params)];
      return deleteCallContent(this.s, on, params, { source, where: where.join(' AND ') });
    });
  }

  reprice(sel: RepriceSelection, repricer: Repricer, now: number): Promise<RepriceSummary> {
    return this.s.exclusive(() => repriceEvents(this.s, this.rates, sel, (e) => repricer.price(e), now));
  }

  repriceAudit(limit?: number): Promise<RepriceAudit[]> {
    return this.s.exclusive(() => readAudit(this.s, limit));
  }

  async close(): Promise<void> {
    await this.readers.close();
    if (this.rollupDeferred.size > 0) {
      // After a bulk fill, a checkpoint first, so the rollup rows the rebuild writes can go into the blocks it frees.
      // Each checkpoint rewrites the row groups that grew since the one before (events' and contexts' last, partly
      // filled ones); the blocks of their old versions are free only once it is done, and DuckDB only gives back
      // free blocks at the end of the file. Without it, the last checkpoint of a 10M-event fill left 144-152 of
      // ~1,330 blocks free (35.5 B/event instead of 31.6). Not after less than a row group: nothing was rewritten,
      // and the extra checkpoint raised an agent-log import's peak RSS by ~10 MB.
      if (this.appended >= ROW_GROUP_ROWS) await this.s.run('closing the ledger', 'CHECKPOINT');
      await this.s.exclusive(() => this.rebuildDeferredAtClose());
    }
    if (this.rollupPending.size > 0) {
      const days = [...this.rollupPending.keys()].sort((a, b) => a - b);
      this.rollupPending.clear();
      await this.s.exclusive(() =>
        this.s.transaction('compacting the rollup', () => finishRollupDays(this.s, days)),
      );
    }
    // Nothing else runs now, so closing's checkpoint may use every core the process may: a store opened with one
    // DuckDB thread (an import, beside its parse worker) wrote its last checkpoint on one (1M-event import: ~0.3 s
    // less, 3 pairs).
    await this.s.run('closing the ledger', 'SET threads = ?', [availableParallelism()]);
    return this.s.close();
  }
}

/**
 * The range `events()` reads: with no filters and a limit, narrowed to start at the ts of the limit-th newest event
 * (ties at that ts are all kept; the read's LIMIT cuts them), found on the ts column alone. A page of the audit trail
 * then prices and joins ~50 events instead of every event of its window (hours of them).
 */
async function newestRange(c: DuckDBConnection, f: EventFilter): Promise<Range> {
  const range: Range = { from: f.since, to: f.until };
  if ((f.filters ?? []).length > 0 || f.limit === undefined || f.limit < 1) return range;
  const params: Param[] = [];
  const where = rangeSql('ts', range, DUCKDB_DIALECT, params);
  params.push(f.limit - 1);
  const got = (
    await c.runAndReadAll(
      `SELECT epoch_us(ts) FROM events WHERE ${where} ORDER BY ts DESC LIMIT 1 OFFSET ?`,
      params as DuckDBValue[],
    )
  ).getRows();
  if (got.length === 0) return range;
  const nth = Number(got[0]![0]);
  return { from: range.from === undefined ? nth : Math.max(range.from, nth), to: range.to };
}

/**
 * A compiled report's rows: its quarter-hour sums first when it has them (CompiledQuery.slots), in a temp table of
 * this connection dropped after (reads run in a snapshot that is rolled back, which drops it too).
 */
async function readReport(conn: DuckDBConnection, compiled: CompiledQuery) {
  if (compiled.slots === undefined) return conn.runAndReadAll(compiled.sql, compiled.params as DuckDBValue[]);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${SLOTS_TABLE} AS ${compiled.slots.sql}`,
    compiled.slots.params as DuckDBValue[],
  );
  try {
    return await conn.runAndReadAll(compiled.sql, compiled.params as DuckDBValue[]);
  } finally {
    // Failing, the transaction was aborted: its rollback drops the table, and the report's error is the one to see.
    await conn.run(`DROP TABLE IF EXISTS ${SLOTS_TABLE}`).catch(() => undefined);
  }
}

/** One snapshot for a read's statements (the context bounds, then the read), while appends commit beside it. */
async function inSnapshot<T>(c: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await c.run('BEGIN TRANSACTION');
  try {
    return await fn();
  } finally {
    // Nothing was written: ending the read transaction either way is the same.
    await c.run('ROLLBACK').catch(() => undefined);
  }
}

/**
 * The priced raw events a report reads in `ranges`: ledger_pico limited, range by range, to the context ids that
 * range's events use. Every raw read otherwise hashed all contexts (657k rows at 10M demo events, ~150 ms) even for
 * a few minutes of events; ids are given in order of first appearance, so a time range's contexts lie in a narrow
 * id range that zone maps on `contexts` find. Bounds are taken per range: the two ends of a 30-day report (the
 * partial first and last days) together span every id. The bounds are integers read from the ledger and the range
 * ends validated integers, written into the SQL as numbers.
 */
async function rawSource(conn: DuckDBConnection, given: readonly Range[]): Promise<string> {
  if (given.length === 0 || given.some((r) => r.from === undefined && r.to === undefined))
    return 'ledger_pico';
  const ranges = disjoint(given);
  const bounds = await perRange(conn, ranges, 'min(context_id), max(context_id)');
  const parts = ranges.flatMap((r, i) => {
    const [lo, hi] = bounds[i]!;
    if (lo === null || hi === null) return [];
    const ids = (t: string) => `${t}.context_id BETWEEN ${Number(lo)} AND ${Number(hi)}`;
    return [wideEventsSql(`WHERE ${within(r, 'e.ts')} AND ${ids('c')} AND ${ids('e')}`)];
  });
  if (parts.length === 0) return `(${pricedRelationSql(`(${wideEventsSql('WHERE FALSE')})`)})`;
  return `(${pricedRelationSql(`(${parts.join('\nUNION ALL\n')})`)})`;
}

/** Contexts a page's events may use for pageSource to join them by id. */
const PAGE_CONTEXTS = 1000;

/**
 * The priced raw events of one range read for a page (events()): joined to their contexts by id when the range's events
 * use at most PAGE_CONTEXTS of them, else as rawSource joins them. The newest events of a ledger use contexts from
 * all of its history (a person's context is numbered at their first call), so rawSource's id bounds for a page span
 * nearly every context, and hashing all of them (645k at 10M demo events) was most of the audit trail's first page.
 * The ids are integers read from the ledger, written into the SQL as numbers.
 */
async function pageSource(conn: DuckDBConnection, range: Range): Promise<string> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT DISTINCT context_id FROM events WHERE ${within(range, 'ts') || 'TRUE'} LIMIT ${PAGE_CONTEXTS + 1}`,
    )
  ).getRows();
  if (rows.length === 0 || rows.length > PAGE_CONTEXTS) return rawSource(conn, [range]);
  const ids = rows.map(([id]) => Number(id)).join(', ');
  const where = [within(range, 'e.ts'), `c.context_id IN (${ids})`, `e.context_id IN (${ids})`];
  return `(${pricedRelationSql(`(${wideEventsSql(`WHERE ${where.filter((w) => w !== '').join(' AND ')}`)})`)})`;
}

/** `col` within `r`: range ends are validated integers, written as numbers so zone maps can use them. */
function within(r: Range, col: string): string {
  return [
    ...(r.from === undefined ? [] : [`${col} >= make_timestamp(${Number(r.from)}::BIGINT)`]),
    ...(r.to === undefined ? [] : [`${col} < make_timestamp(${Number(r.to)}::BIGINT)`]),
  ].join(' AND ');
}

/**
 * `aggregates` over the events of each range, one row per range in order. One SELECT per range: a WHERE of ranges
 * joined by OR is no zone-map filter and scanned every event's ts (30-40 ms against 5 at 10M events).
 */
async function perRange(
  conn: DuckDBConnection,
  ranges: readonly Range[],
  aggregates: string,
): Promise<DuckDBValue[][]> {
  const sql = ranges
    .map((r, i) => `SELECT ${i} AS i, ${aggregates} FROM events WHERE ${within(r, 'ts')}`)
    .join(' UNION ALL ');
  const rows = (await conn.runAndReadAll(sql)).getRows();
  const byIndex = new Map(rows.map(([i, ...values]) => [Number(i), values]));
  return ranges.map((_, i) => byIndex.get(i)!);
}

/** The ranges merged where they overlap or touch: each event then lies in at most one part of rawSource's union. */
function disjoint(ranges: readonly Range[]): Range[] {
  const start = (r: Range) => r.from ?? Number.NEGATIVE_INFINITY;
  const end = (r: Range) => r.to ?? Number.POSITIVE_INFINITY;
  const out: Range[] = [];
  for (const r of [...ranges].sort((a, b) => start(a) - start(b))) {
    const last = out.at(-1);
    if (last && start(r) <= end(last)) {
      if (end(r) > end(last)) last.to = r.to;
    } else out.push({ ...r });
  }
  return out;
}
