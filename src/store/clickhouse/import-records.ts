import type { ActivityRecord, ProviderCostRecord } from '../../sources/provider-records.js';
import type { ComputedCostRow, FileState, ImportRecords, RecordFilter } from '../import-records.js';
import type { Range } from '../sql/plan.js';
import type { AppendResult } from '../store.js';
import { type ClickHouseSql, idChunks } from './clickhouse-sql.js';
import { computedSql, RECONCILE_DAYS } from './reconcile-days.js';
import { type DayPlan, type DayTable, freshSql } from './rollup.js';
import type { JsonRow } from './rows.js';
import { chTime, rangesSql, SERVER_MICROS, withinSql } from './time.js';

const TIME = `DateTime64(6, 'UTC')`;

/**
 * The import side tables (store/import-records.ts) in ClickHouse. Per-file state is replaced by inserting a newer
 * version (read with FINAL); cost and activity records are stored once per record id, looked up before the insert
 * as events are.
 */
export function importRecordsSchemaSql(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS import_files (source String, path String, size Int64, mtime_ms Float64,
  resume_offset Int64, resume_line Int64, check_hash Nullable(String), held_back Bool, imported_at ${TIME},
  parser_state Nullable(String), _version UInt64 DEFAULT ${SERVER_MICROS})
  ENGINE = ReplacingMergeTree(_version) ORDER BY (source, path)`,
    `CREATE TABLE IF NOT EXISTS provider_costs (record_id String, source String, source_ref Nullable(String),
  bucket_start ${TIME}, bucket_end ${TIME}, provider String, project Nullable(String), model Nullable(String),
  line_item Nullable(String), amount Int128, currency String, details String, ingested_at ${TIME})
  ENGINE = ReplacingMergeTree ORDER BY record_id`,
    `CREATE TABLE IF NOT EXISTS activity (record_id String, source String, source_ref Nullable(String),
  actor_type String, actor String, date String, ts ${TIME}, num_sessions Int64, lines_added Int64,
  lines_removed Int64, commits Int64, pull_requests Int64, tool_actions String, details String, ingested_at ${TIME})
  ENGINE = ReplacingMergeTree ORDER BY record_id`,
  ];
}

/**
 * `plan` says which days of a range a day table answers (ClickHouseStore.dayPlan): the computed costs read their
 * whole days from `reconcile_days`, so a retired month reconciles as before.
 */
export function createClickHouseImportRecords(
  sql: ClickHouseSql,
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
  plan: (table: DayTable, range: Range) => Promise<DayPlan>,
): ImportRecords {
  /** Inserts the records whose id is not stored yet. */
  const insertNew = <T extends { record_id: string }>(
    what: string,
    table: string,
    records: readonly T[],
    row: (r: T) => JsonRow,
  ): Promise<AppendResult> =>
    exclusive(async () => {
      // The first of each id wins, as DuckDB's INSERT OR IGNORE keeps it.
      const byId = new Map<string, T>();
      for (const r of records) if (!byId.has(r.record_id)) byId.set(r.record_id, r);
      const firsts = [...byId.values()];
      const stored = new Set<string>();
      for (const part of idChunks(firsts)) {
        const rows = await sql.rows(
          what,
          `SELECT record_id FROM ${table} WHERE record_id IN {ids:Array(String)}`,
          { ids: part.map((r) => r.record_id) },
        );
        for (const r of rows) stored.add(String(r.record_id));
      }
      const fresh = firsts.filter((r) => !stored.has(r.record_id));
      await sql.insert(what, table, fresh.map(row));
      return { inserted: fresh.length, duplicates: records.length - fresh.length };
    });

  return {
    fileStates: async (source) => {
      const rows = await sql.rows(
        'reading import state',
        `SELECT path, size, mtime_ms, resume_offset, resume_line, check_hash, held_back,
           toUnixTimestamp64Micro(imported_at) AS imported_us, parser_state
         FROM import_files FINAL WHERE source = {source:String}`,
        { source },
      );
      return new Map(
        rows.map((r): [string, FileState] => [
          String(r.path),
          {
            source,
            path: String(r.path),
            size: Number(r.size),
            mtimeMs: Number(r.mtime_ms),
            offset: Number(r.resume_offset),
            lineNo: Number(r.resume_line),
            check: r.check_hash === null ? null : String(r.check_hash),
            heldBack: r.held_back === true,
            importedAt: Number(r.imported_us),
            parserState: r.parser_state === null ? null : String(r.parser_state),
          },
        ]),
      );
    },

    saveFileStates: (states) =>
      exclusive(() =>
        sql.insert(
          'saving import state',
          'import_files',
          states.map((s) => ({
            source: s.source,
            path: s.path,
            size: s.size,
            mtime_ms: s.mtimeMs,
            resume_offset: s.offset,
            resume_line: s.lineNo,
            check_hash: s.check,
            held_back: s.heldBack,
            imported_at: chTime(s.importedAt),
            parser_state: s.parserState,
          })),
        ),
      ),

    appendCosts: (records, ingestedAt) =>
      insertNew('storing provider costs', 'provider_costs', records, (r) => ({
        record_id: r.record_id,
        source: r.source,
        source_ref: r.source_ref,
        bucket_start: chTime(r.bucket_start),
        bucket_end: chTime(r.bucket_end),
        provider: r.provider,
        project: r.project,
        model: r.model,
        line_item: r.line_item,
        amount: r.amount.toString(),
        currency: r.currency,
        details: JSON.stringify(r.details),
        ingested_at: chTime(ingestedAt),
      })),

    appendActivity: (records, ingestedAt) =>
      insertNew('storing activity', 'activity', records, (r) => ({
        record_id: r.record_id,
        source: r.source,
        source_ref: r.source_ref,
        actor_type: r.actor_type,
        actor: r.actor,
        date: r.date,
        ts: chTime(r.ts),
        num_sessions: r.num_sessions,
        lines_added: r.lines_added,
        lines_removed: r.lines_removed,
        commits: r.commits,
        pull_requests: r.pull_requests,
        tool_actions: JSON.stringify(r.tool_actions),
        details: JSON.stringify(r.details),
        ingested_at: chTime(ingestedAt),
      })),

    providerCosts: async (f = {}) => {
      const [where, params] = rangeWhere(f, 'bucket_start');
      const rows = await sql.rows(
        'reading provider costs',
        `SELECT record_id, source, source_ref, toUnixTimestamp64Micro(bucket_start) AS start_us,
           toUnixTimestamp64Micro(bucket_end) AS end_us, provider, project, model, line_item, amount, currency, details
         FROM provider_costs FINAL WHERE ${where}
         ORDER BY bucket_start, provider, project NULLS FIRST, model NULLS FIRST, line_item NULLS FIRST, record_id`,
        params,
      );
      return rows.map(
        (r): ProviderCostRecord => ({
          record_id: String(r.record_id),
          source: String(r.source),
          source_ref: String(r.source_ref),
          bucket_start: Number(r.start_us),
          bucket_end: Number(r.end_us),
          provider: String(r.provider),
          project: orNull(r.project),
          model: orNull(r.model),
          line_item: orNull(r.line_item),
          amount: BigInt(r.amount as string),
          currency: String(r.currency),
          details: JSON.parse(String(r.details)),
        }),
      );
    },

    activity: async (f = {}) => {
      const [where, params] = rangeWhere({ since: f.since, until: f.until }, 'ts');
      const rows = await sql.rows(
        'reading activity',
        `SELECT record_id, source, source_ref, actor_type, actor, date, toUnixTimestamp64Micro(ts) AS ts_us,
           num_sessions, lines_added, lines_removed, commits, pull_requests, tool_actions, details
         FROM activity FINAL WHERE ${where} ORDER BY date, actor, record_id`,
        params,
      );
      return rows.map(
        (r): ActivityRecord => ({
          record_id: String(r.record_id),
          source: String(r.source),
          source_ref: String(r.source_ref),
          actor_type: String(r.actor_type),
          actor: String(r.actor),
          date: String(r.date),
          ts: Number(r.ts_us),
          num_sessions: Number(r.num_sessions),
          lines_added: Number(r.lines_added),
          lines_removed: Number(r.lines_removed),
          commits: Number(r.commits),
          pull_requests: Number(r.pull_requests),
          tool_actions: JSON.parse(String(r.tool_actions)),
          details: JSON.parse(String(r.details)),
        }),
      );
    },

    computedCosts: async (f = {}) => {
      const days = await plan(RECONCILE_DAYS, { from: f.since, to: f.until });
      const [raw, rawParams] = rangesSql('ts', days.raw, 'raw');
      const [kept, keptParams] = freshSql(days.fresh);
      const provider = f.provider === undefined ? '' : ' AND provider = {provider:String}';
      const rows = await sql.rows(
        'summing computed costs',
        `SELECT formatDateTime(day, '%Y-%m-%d') AS day_text, * EXCEPT (day)
         FROM (${computedSql(`${raw}${provider}`)}
           UNION ALL SELECT * EXCEPT (built_at) FROM ${RECONCILE_DAYS.table} WHERE ${kept}${provider})
         ORDER BY day, source, provider NULLS FIRST, project NULLS FIRST, model`,
        { ...rawParams, ...keptParams, ...(f.provider === undefined ? {} : { provider: f.provider }) },
      );
      return rows.map(
        (r): ComputedCostRow => ({
          day: String(r.day_text),
          source: String(r.source),
          provider: orNull(r.provider),
          project: orNull(r.project),
          model: String(r.model),
          events: Number(r.n),
          cost_usd: BigInt(r.cost as string),
          unpriced_events: Number(r.unpriced),
          provider_cost_events: Number(r.given),
          provider_cost_usd: BigInt(r.given_usd as string),
          cost_usd_of_provider_cost_events: BigInt(r.ours_of_given as string),
          unpriced_provider_cost_events: Number(r.unpriced_given),
          web_search_events: Number(r.searches),
          unpriced_web_search_events: Number(r.unpriced_searches),
          web_search_usd: BigInt(r.search_usd as string),
        }),
      );
    },
  };
}

const orNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function rangeWhere(f: RecordFilter, column: string): [string, Record<string, unknown>] {
  const [within, params] = withinSql(column, { from: f.since, to: f.until });
  const where = ['TRUE', ...within];
  if (f.provider !== undefined) {
    where.push('provider = {provider:String}');
    params.provider = f.provider;
  }
  return [where.join(' AND '), params];
}
