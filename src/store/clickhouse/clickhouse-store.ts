import { type AttributionPatch, mergePatches } from '../../ledger/attribution-patch.js';
import type { CallContent } from '../../ledger/call-content.js';
import { CACHED_REF_PREFIX, totalTokens, type UsageEvent } from '../../ledger/event.js';
import { isLedgerId } from '../../ledger/event-id.js';
import { DAY_US, utcDay } from '../../ledger/time.js';
import { storeError } from '../errors.js';
import { checkEvents } from '../event-checks.js';
import type { ImportRecords } from '../import-records.js';
import type { CacheSavingsRow, EnergyRow, Query, QueryResult } from '../query.js';
import { emptyRepriceSummary, tallyReprice } from '../reprice-tally.js';
import { Serial } from '../serial.js';
import { cacheSavingsRows, compileCacheSavings } from '../sql/compile-cache-savings.js';
import { compileEnergy, energyRows } from '../sql/compile-energy.js';
import { compileQuery, filtersSql, type Param, rangeSql, SLOTS_TABLE } from '../sql/compile-query.js';
import { pickRollup, type Range, type ReadPlan, validateQuery } from '../sql/plan.js';
import { reportResult } from '../sql/report-rows.js';
import type { RollupName } from '../sql/rollup-dims.js';
import {
  type EventAppendResult,
  type EventFilter,
  type ExportOptions,
  type ExportResult,
  MIN_RETENTION_DAYS,
  type RepriceAudit,
  type Repricer,
  type RepriceSelection,
  type RepriceSummary,
  type Retirement,
  type Store,
} from '../store.js';
import { BRANCH_HOURS, branchHoursSql, readsBranchHours } from './branch-hours.js';
import { bindPositional, ClickHouseSql, idChunks } from './clickhouse-sql.js';
import { CLICKHOUSE_DIALECT as CH } from './dialect.js';
import { eventPages } from './event-pages.js';
import { exportClickHouse } from './export.js';
import { FOCUS_DAYS } from './focus-days.js';
import { exportFocus } from './focus-export.js';
import { createClickHouseImportRecords } from './import-records.js';
import { checkKept, readHorizon, retireBefore } from './retire.js';
import {
  aroundDays,
  type DayPlan,
  type DayTable,
  freshDays,
  freshSql,
  markWritten,
  ROLLUP_TABLES,
} from './rollup.js';
import { EVENT_SELECT, eventRow, type JsonRow, rowEvent } from './rows.js';
import { schemaSql } from './schema.js';
import { chTime, withinSql } from './time.js';

export const CLICKHOUSE_STORE = 'clickhouse';

/**
 * The scale-out ledger: a ClickHouse database reached over HTTP (docs/store.md, ClickHouse). `url` is
 * `http[s]://[user:password@]host:port/database`; the database and tables are created when missing.
 *
 * @example
 * const store = await createClickHouseStore('http://127.0.0.1:8123/tokenledger');
 */
export async function createClickHouseStore(url: string): Promise<Store> {
  const sql = await ClickHouseSql.open(url);
  try {
    for (const statement of schemaSql()) await sql.run('creating the ledger tables', statement);
  } catch (err) {
    await sql.close();
    throw err;
  }
  return new ClickHouseStore(sql);
}

class ClickHouseStore implements Store {
  readonly id = CLICKHOUSE_STORE;
  readonly records: ImportRecords;
  /** Writes of this process one at a time, so that an append's lookup of stored ids sees the append before it. */
  private readonly writing = new Serial();
  /** Rollup builds one at a time in this process (rollup.ts buildDays). */
  private readonly building = new Serial();

  constructor(private readonly sql: ClickHouseSql) {
    this.records = createClickHouseImportRecords(
      sql,
      (fn) => this.exclusive(fn),
      (table, range) => this.dayPlan(table, range, 'a reconciliation'),
    );
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.writing.run(fn);
  }

  append(events: readonly UsageEvent[]): Promise<EventAppendResult> {
    try {
      checkEvents(events);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.exclusive(async () => {
      const kept = await this.afterHorizon(events);
      const firsts = new Map<string, UsageEvent>();
      for (const e of kept) if (!firsts.has(keyOf(e))) firsts.set(keyOf(e), e);
      const stored = await this.storedKeys([...firsts.values()]);
      const fresh = [...firsts.values()].filter((e) => !stored.has(keyOf(e)));
      await this.sql.insert(
        'appending events',
        'events',
        fresh.map((e) => eventRow(e)),
      );
      // Every event's day, stored before or not: a batch handed over again after a crash marks what it may not have.
      await markWritten(
        this.sql,
        kept.map((e) => e.ts),
      );
      const unpriced = { events: 0, tokens: 0 };
      for (const e of fresh) {
        if (e.cost_usd !== null) continue;
        unpriced.events++;
        unpriced.tokens += totalTokens(e);
      }
      const retired = events.length - kept.length;
      return {
        inserted: fresh.length,
        duplicates: kept.length - fresh.length,
        unpriced,
        ...(retired > 0 ? { retired } : {}),
      };
    });
  }

  /**
   * `events` less those before the horizon (retire.ts), which no rollup day would take again. The horizon is read
   * only for a batch holding an event older than any retention may be: a gateway's calls never wait for it.
   */
  private async afterHorizon(events: readonly UsageEvent[]): Promise<readonly UsageEvent[]> {
    let oldest = Infinity;
    for (const e of events) oldest = Math.min(oldest, e.ts);
    const horizon = await this.horizonBefore(oldest);
    return horizon === null ? events : events.filter((e) => e.ts >= horizon);
  }

  /**
   * The horizon (retire.ts) when it may lie after `t` (undefined: the start of time), else null: it is never within
   * the last MIN_RETENTION_DAYS, so what is younger than that never waits for a read of it.
   */
  private horizonBefore(t: number | undefined): Promise<number | null> {
    if (t !== undefined && t >= Date.now() * 1000 - MIN_RETENTION_DAYS * DAY_US) return Promise.resolve(null);
    return readHorizon(this.sql);
  }

  /** `id@ts` of those of `events` the ledger holds. */
  private async storedKeys(events: readonly { event_id: string; ts: number }[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of idChunks(events)) {
      let from = part[0]!.ts;
      let to = from;
      for (const e of part) {
        from = Math.min(from, e.ts);
        to = Math.max(to, e.ts);
      }
      const rows = await this.sql.rows(
        'looking events up by id',
        `SELECT event_id, toUnixTimestamp64Micro(ts) AS ts_us FROM events
         WHERE ts >= fromUnixTimestamp64Micro({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Micro({to:Int64}, 'UTC')
           AND event_id IN {ids:Array(String)}`,
        { from, to, ids: [...new Set(part.map((e) => e.event_id))] },
      );
      for (const r of rows) out.add(`${String(r.event_id)}@${String(r.ts_us)}`);
    }
    return out;
  }

  async held(events: readonly { event_id: string; ts: number }[]): Promise<Set<string>> {
    const ask = events.filter((e) => isLedgerId(e.event_id) && Number.isSafeInteger(e.ts));
    const stored = await this.storedKeys(ask);
    return new Set(ask.filter((e) => stored.has(keyOf(e))).map((e) => e.event_id));
  }

  async query(q: Query): Promise<QueryResult> {
    validateQuery(q);
    const horizon = await this.horizonBefore(q.since);
    const { plan, fresh, rows: dayRows } = await this.plan(q, horizon);
    if (horizon !== null) checkRawReads(plan.raw, dayRows !== undefined, horizon, 'a report');
    // The day table's current days only (plan): the rest of the range is read from events.
    const [kept, keptParams] = freshSql(fresh);
    const compiled = compileQuery(q, CH, plan, { raw: 'events FINAL', rollup: dayRows?.(kept) ?? '' });
    // A zone's quarter-hour sums are a CTE here: DuckDB's reason to store them first (its join's memory) is its own.
    const statement = compiled.slots
      ? {
          sql: `WITH ${SLOTS_TABLE} AS (${compiled.slots.sql}),\n${compiled.sql.replace(/^WITH /, '')}`,
          params: [...compiled.slots.params, ...compiled.params],
        }
      : compiled;
    const [sql, params] = bindPositional(statement.sql, statement.params);
    const rows = await this.sql.rows('running a report query', sql, { ...params, ...keptParams });
    return reportResult(q, compiled.dimAliases, rows, (b) => new Date(`${String(b)}Z`).toISOString());
  }

  async energy(q: Query): Promise<EnergyRow[]> {
    validateQuery(q);
    // Retired months keep their energy readings (retire.ts): no rollup sums joules. Each side of the horizon is read
    // from one table: a retirement copies the readings before it moves the horizon, and drops them from `events` after.
    const horizon = await this.horizonBefore(q.since);
    const at = `fromUnixTimestamp64Micro({horizon:Int64}, 'UTC')`;
    const compiled = compileEnergy(
      q,
      CH,
      horizon === null
        ? 'events FINAL'
        : `(SELECT * FROM events FINAL WHERE ts >= ${at}
           UNION ALL SELECT * FROM retired_energy FINAL WHERE ts < ${at})`,
    );
    const [sql, params] = bindPositional(compiled.sql, compiled.params);
    const rows = await this.sql.rows(
      'reading energy',
      sql,
      horizon === null ? params : { ...params, horizon },
    );
    return energyRows(
      q,
      rows.map((r) => Object.values(r)),
      (b) => new Date(`${String(b)}Z`).toISOString(),
    );
  }

  async cacheSavings(q: Query): Promise<CacheSavingsRow[]> {
    validateQuery(q);
    await this.needsCalls({ from: q.since, to: q.until }, 'a report of the response cache');
    const compiled = compileCacheSavings(q, CH, {
      hits: 'events FINAL',
      originals: 'events FINAL',
      // event_id is its hex text here (schema.ts), as the hit names it.
      originalId: (ref) => `substring(${ref}, ${CACHED_REF_PREFIX.length + 1})`,
    });
    const [sql, params] = bindPositional(compiled.sql, compiled.params);
    const rows = await this.sql.rows('reading cache savings', sql, params);
    return cacheSavingsRows(
      q,
      rows.map((r) => Object.values(r)),
      (b) => new Date(`${String(b)}Z`).toISOString(),
    );
  }

  /**
   * Where a report reads: the whole UTC days in its range that a day table answering it holds as they are now (a
   * rollup covering its dimensions, or the branches by hour; rollup.ts: ended days out of date are built first), and
   * raw events for the rest of the range. `rows` gives that table's rows of the days `kept` picks, if any answers it.
   */
  private async plan(
    q: Query,
    horizon: number | null,
  ): Promise<{ plan: ReadPlan; fresh: number[]; rows?: (kept: string) => string }> {
    const range = { from: q.since, to: q.until };
    const table = dayTableOf(q);
    if (table === undefined) return { plan: { rollup: null, raw: [range] }, fresh: [] };
    const { fresh, raw } = await this.daysOf(table.read, table.build, range, horizon);
    const rollup = fresh.length === 0 ? null : wholeDays(range);
    const via = rollup !== null && table.via !== undefined ? { via: table.via } : {};
    return { plan: { rollup, raw, ...via }, fresh, rows: table.rows };
  }

  /**
   * Which days of `range` to read from day table `read` (its ended whole UTC days current there, after building the
   * days due in every table of `build`) and which ranges from the events. A retired day `read` never built is refused
   * where its sums were never kept (retire.ts, checkKept).
   */
  private async daysOf(
    read: DayTable,
    build: readonly DayTable[],
    range: Range,
    horizon: number | null,
  ): Promise<DayPlan> {
    const days = wholeDays(range);
    if (days.from !== undefined && days.to !== undefined && days.from >= days.to)
      return { fresh: [], raw: [range] };
    const { fresh, unbuilt } = await freshDays(this.sql, {
      read,
      build,
      range: days,
      now: Date.now() * 1000,
      horizon,
      turn: (b) => this.building.run(b),
    });
    if (unbuilt.length > 0) await checkKept(this.sql, read.table, unbuilt);
    return { fresh, raw: aroundDays(range, fresh) };
  }

  async events(f: EventFilter): Promise<UsageEvent[]> {
    validateQuery({ dimensions: [], filters: f.filters, since: f.since, until: f.until });
    // With no start, the newest calls kept: a list, not a sum, so it does not need the retired ones, unless it ends
    // before them.
    const first = f.since ?? f.until;
    const horizon = first === undefined ? null : await this.horizonBefore(first);
    if (horizon !== null && ((f.since ?? horizon) < horizon || (f.until ?? Infinity) <= horizon))
      throw retiredError(horizon, 'a list of calls needs each call');
    const params: Param[] = [];
    const where = [
      rangeSql('ts', { from: f.since, to: f.until }, CH, params),
      ...filtersSql(f.filters, CH, params),
    ];
    let sql = `SELECT ${EVENT_SELECT} FROM events FINAL WHERE ${where.join(' AND ')} ORDER BY ts DESC, event_id DESC`;
    if (f.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(f.limit);
    }
    const rows = await this.sql.rows('reading events', ...bindPositional(sql, params));
    return rows.map((r) => rowEvent(r).event);
  }

  async count(): Promise<number> {
    const rows = await this.sql.rows('counting events', 'SELECT count() AS n FROM events FINAL');
    return Number(rows[0]!.n);
  }

  async export(o: ExportOptions): Promise<ExportResult> {
    if (o.format === 'focus' || o.format === 'focus-parquet') return this.exportFocus(o);
    await this.needsCalls({ from: o.since, to: o.until }, 'an export');
    return exportClickHouse(this.sql, o);
  }

  /**
   * The FOCUS dataset (focus-export.ts), its range's ended whole UTC days read from `focus_days` (focus-days.ts),
   * built first where out of date: as a report reads a rollup, and so before the horizon too.
   */
  private async exportFocus(o: ExportOptions): Promise<ExportResult> {
    const days = await this.dayPlan(FOCUS_DAYS, { from: o.since, to: o.until }, 'a FOCUS export');
    return exportFocus(this.sql, { ...o, parquet: o.format === 'focus-parquet', days });
  }

  /**
   * A day table's plan of `range` (daysOf) for a read that sums calls (`what`): it fails where the events it would
   * read reach before the horizon other than on whole UTC days, which had no calls when retired.
   */
  private async dayPlan(table: DayTable, range: Range, what: string): Promise<DayPlan> {
    const horizon = await this.horizonBefore(range.from);
    const plan = await this.daysOf(table, [table], range, horizon);
    if (horizon !== null) checkRawReads(plan.raw, true, horizon, what);
    return plan;
  }

  /** Fails when `range` reaches before the horizon: `what` needs the calls themselves, and some are gone. */
  private async needsCalls(range: Range, what: string): Promise<void> {
    const horizon = await this.horizonBefore(range.from);
    if (horizon !== null && reaches(range, horizon)) throw retiredError(horizon, `${what} needs each call`);
  }

  retireRaw(before: number, graceMs = RETIRE_GRACE_MS): Promise<Retirement> {
    if (before > Date.now() * 1000 - MIN_RETENTION_DAYS * DAY_US)
      return Promise.reject(
        storeError(
          'STORE_BAD_QUERY',
          `raw events are kept at least ${MIN_RETENTION_DAYS} days: retire before an earlier time`,
        ),
      );
    return retireBefore(this.sql, before, (build) => this.building.run(build), graceMs);
  }

  attribute(patches: readonly AttributionPatch[]): Promise<{ patched: number }> {
    return this.exclusive(async () => {
      const merged = mergePatches(patches).filter(
        (p) => isLedgerId(p.event_id) && Number.isSafeInteger(p.ts),
      );
      const byKey = new Map(merged.map((p) => [keyOf(p), p]));
      let patched = 0;
      for (const part of idChunks(merged)) {
        const rows = await this.sql.rows(
          'reading events to attribute',
          `SELECT ${EVENT_SELECT} FROM events FINAL WHERE event_id IN {ids:Array(String)}
             AND ts IN {ts:Array(DateTime64(6, 'UTC'))}`,
          { ids: [...new Set(part.map((p) => p.event_id))], ts: [...new Set(part.map((p) => chTime(p.ts)))] },
        );
        const changed: JsonRow[] = [];
        for (const r of rows) {
          const { event, billedCost, billedUnpriced } = rowEvent(r);
          const p = byKey.get(keyOf(event));
          if (p === undefined) continue;
          const agent = event.agent ?? p.agent;
          const task = event.task_id ?? p.task_id;
          if (agent === event.agent && task === event.task_id) continue;
          changed.push(
            eventRow(
              { ...event, agent, task_id: task },
              {
                cost: billedCost,
                unpriced: billedUnpriced,
              },
            ),
          );
        }
        await this.sql.insert('attributing events', 'events', changed);
        await markWritten(
          this.sql,
          rows.map((r) => Number(r.ts_us)),
        );
        patched += changed.length;
      }
      return { patched };
    });
  }

  storeContent(contents: readonly CallContent[]): Promise<{ inserted: number }> {
    return this.exclusive(async () => {
      const firsts = new Map<string, CallContent>();
      for (const c of contents) if (!firsts.has(keyOf(c))) firsts.set(keyOf(c), c);
      const stored = new Set<string>();
      const all = [...firsts.values()];
      for (const part of idChunks(all)) {
        const rows = await this.sql.rows(
          'looking call content up',
          `SELECT event_id, toUnixTimestamp64Micro(ts) AS ts_us FROM call_content
           WHERE event_id IN {ids:Array(String)}`,
          { ids: part.map((c) => c.event_id) },
        );
        for (const r of rows) stored.add(`${String(r.event_id)}@${String(r.ts_us)}`);
      }
      const fresh = all.filter((c) => !stored.has(keyOf(c)));
      await this.sql.insert(
        'storing call content',
        'call_content',
        fresh.map((c) => ({
          event_id: c.event_id,
          ts: chTime(c.ts),
          request: c.request,
          completion: c.completion,
        })),
      );
      return { inserted: fresh.length };
    });
  }

  async content(eventId: string, ts: number): Promise<CallContent | null> {
    const rows = await this.sql.rows(
      'reading call content',
      `SELECT request, completion FROM call_content FINAL
       WHERE event_id = {id:String} AND ts = fromUnixTimestamp64Micro({ts:Int64}, 'UTC')`,
      { id: eventId, ts },
    );
    const r = rows[0];
    return r === undefined
      ? null
      : { event_id: eventId, ts, request: String(r.request), completion: String(r.completion) };
  }

  purgeContent(f: EventFilter): Promise<{ deleted: number }> {
    validateQuery({ dimensions: [], filters: f.filters, since: f.since, until: f.until });
    return this.exclusive(async () => {
      const params: Param[] = [];
      const range: Range = { from: f.since, to: f.until };
      let where = rangeSql('ts', range, CH, params);
      if ((f.filters ?? []).length > 0) {
        // Only events carry attribution: the calls are chosen by their events, in the same range.
        const inner = [rangeSql('ts', range, CH, params), ...filtersSql(f.filters, CH, params)];
        where += ` AND (ts, event_id) IN (SELECT ts, event_id FROM events FINAL WHERE ${inner.join(' AND ')})`;
      }
      const [sql, named] = bindPositional(
        `SELECT count() AS n FROM call_content FINAL WHERE ${where}`,
        params,
      );
      const deleted = Number((await this.sql.rows('counting call content to delete', sql, named))[0]!.n);
      if (deleted > 0)
        await this.sql.run(
          'deleting call content',
          ...bindPositional(`DELETE FROM call_content WHERE ${where}`, params),
        );
      return { deleted };
    });
  }

  reprice(sel: RepriceSelection, repricer: Repricer, now: number): Promise<RepriceSummary> {
    return this.exclusive(() => this.repriceNow(sel, repricer, now));
  }

  private async repriceNow(sel: RepriceSelection, repricer: Repricer, now: number): Promise<RepriceSummary> {
    const summary = emptyRepriceSummary();
    const [where, params] = withinSql('ts', { from: sel.since });
    if (sel.model !== undefined) {
      // As DuckDB's (duckdb/reprice.ts): an unpriced event keeps the name it came with, so it is found by what it
      // reprices as, below.
      where.push(`(model = {model:String} OR cost_source = 'unpriced')`);
      params.model = sel.model;
    }
    for await (const rows of eventPages(this.sql, 'reading events to reprice', where, params)) {
      const changedRows: JsonRow[] = [];
      const changedTimes: number[] = [];
      const audit: JsonRow[] = [];
      for (const r of rows) {
        const { event: before, billedCost, billedUnpriced } = rowEvent(r);
        const next = repricer.price(before);
        if (sel.model !== undefined && before.model !== sel.model && next.model !== sel.model) continue;
        if (!tallyReprice(summary, before, next)) continue;
        // What the event was billed is what it cost before its first reprice; unknown when it had no price then.
        const firstReprice = billedCost === null && !billedUnpriced;
        const billed = firstReprice
          ? { cost: before.cost_usd, unpriced: before.cost_usd === null }
          : { cost: billedCost, unpriced: billedUnpriced };
        changedRows.push(eventRow(next, billed));
        changedTimes.push(before.ts);
        audit.push({
          event_id: before.event_id,
          ts: chTime(before.ts),
          repriced_at: chTime(now),
          old_price_version: before.price_version,
          new_price_version: next.price_version,
          old_cost_usd: before.cost_usd?.toString() ?? null,
          new_cost_usd: next.cost_usd?.toString() ?? null,
        });
      }
      await this.sql.insert('repricing events', 'events', changedRows);
      await markWritten(this.sql, changedTimes);
      await this.sql.insert('writing the reprice audit', 'reprice_audit', audit);
    }
    return summary;
  }

  async repriceAudit(limit?: number): Promise<RepriceAudit[]> {
    const rows = await this.sql.rows(
      'reading the reprice audit',
      `SELECT event_id, toUnixTimestamp64Micro(ts) AS ts_us, toUnixTimestamp64Micro(repriced_at) AS repriced_us,
         old_price_version, new_price_version, old_cost_usd, new_cost_usd
       FROM reprice_audit ORDER BY repriced_at DESC, ts DESC, event_id DESC
       ${limit === undefined ? '' : 'LIMIT {limit:UInt64}'}`,
      limit === undefined ? {} : { limit },
    );
    return rows.map((r) => ({
      event_id: String(r.event_id),
      ts: Number(r.ts_us),
      repriced_at: Number(r.repriced_us),
      old_price_version: r.old_price_version === null ? null : String(r.old_price_version),
      new_price_version: r.new_price_version === null ? null : String(r.new_price_version),
      old_cost_usd: r.old_cost_usd === null ? null : BigInt(r.old_cost_usd as string),
      new_cost_usd: r.new_cost_usd === null ? null : BigInt(r.new_cost_usd as string),
    }));
  }

  async close(): Promise<void> {
    await this.writing.idle();
    await this.sql.close();
  }
}

const keyOf = (e: { event_id: string; ts: number }) => `${e.event_id}@${e.ts}`;

/** How long a retirement waits after moving the horizon for appends that read the old one (retire.ts, step 3). */
const RETIRE_GRACE_MS = 5000;

/**
 * The day table that answers report `q`, if one does: the tables built beside it, its rollup's name, and its rows of
 * the days `kept` (a condition on `day`) picks, as the report reads them.
 */
function dayTableOf(
  q: Query,
):
  | { read: DayTable; build: readonly DayTable[]; via?: RollupName; rows: (kept: string) => string }
  | undefined {
  const kind = pickRollup(q);
  // Every report rollup is built at once (a dashboard's other panels read them next); the branches' hours alone.
  if (kind !== undefined) {
    const read = ROLLUP_TABLES.find((t) => t.name === kind.name)!;
    const rows = (kept: string) => `(SELECT * FROM ${read.table} WHERE ${kept})`;
    return { read, build: ROLLUP_TABLES, via: kind.name, rows };
  }
  if (readsBranchHours(q)) return { read: BRANCH_HOURS, build: [BRANCH_HOURS], rows: branchHoursSql };
  return undefined;
}

/** Whether `r` (either end open) holds time before `horizon`. */
const reaches = (r: Range, horizon: number) =>
  (r.from === undefined || r.from < horizon) && (r.to ?? Infinity) > (r.from ?? -Infinity);

/**
 * A report reads raw events before the horizon only where none are left to read: days no rollup build holds, which
 * had no events when their months were retired (every day that had some was built first). So it must read them in
 * whole UTC days through a day table; a partial day there, or a report none answers (by tag, session, hour, a local
 * day; but the calls on git branches by hour: branch-hours.ts), would sum part of what was spent.
 */
function checkRawReads(raw: readonly Range[], answerable: boolean, horizon: number, what: string): void {
  for (const r of raw) {
    if (!reaches(r, horizon)) continue;
    if (!answerable)
      throw retiredError(
        horizon,
        'the daily sums do not answer this report (by a tag, task or key; by hour; by local day; only the calls ' +
          'on git branches are kept by hour)',
      );
    const end = Math.min(r.to ?? horizon, horizon);
    if ((r.from !== undefined && utcDay(r.from) !== r.from) || utcDay(end) !== end)
      throw retiredError(horizon, `${what} reaching before it must start and end on whole UTC days`);
  }
}

/** The whole UTC days within `r` (either end open). */
function wholeDays(r: Range): Range {
  return {
    from: r.from === undefined ? undefined : Math.ceil(r.from / DAY_US) * DAY_US,
    to: r.to === undefined ? undefined : Math.floor(r.to / DAY_US) * DAY_US,
  };
}

function retiredError(horizon: number, why: string) {
  const day = new Date(horizon / 1000).toISOString().slice(0, 10);
  return storeError(
    'STORE_RAW_RETIRED',
    `calls before ${day} are kept only as daily sums (raw retention, docs/store.md): ${why}; ` +
      `start it at ${day} or later`,
  );
}
