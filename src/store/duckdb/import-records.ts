import type { DuckDBValue } from '@duckdb/node-api';
import type { ActivityRecord, ProviderCostRecord } from '../../sources/provider-records.js';
import type { ComputedCostRow, ImportRecords, RecordFilter } from '../import-records.js';
import type { AppendResult } from '../store.js';
import { readStates, saveStates } from './import-state.js';
import type { DuckDbSession, SqlParam } from './session.js';
import { type StageType, type StageValue, stageInsert } from './stage-insert.js';

/**
 * Side tables of imports. They are small (one row per file, per cost line, per person-day), so a primary key and
 * `INSERT OR IGNORE` are the simple idempotent path here — unlike `events`, where an index would outweigh the data.
 * Money is HUGEINT pico-units, appended as bigint so no amount passes through a float.
 */
export function importRecordsSchemaSql(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS import_files (source VARCHAR NOT NULL, path VARCHAR NOT NULL, size BIGINT NOT NULL,
      mtime_ms DOUBLE NOT NULL, resume_offset BIGINT NOT NULL, resume_line BIGINT NOT NULL, check_hash VARCHAR,
      held_back BOOLEAN NOT NULL, imported_at TIMESTAMP NOT NULL, parser_state VARCHAR, PRIMARY KEY (source, path))`,
    // Ledgers written while the table lacked the column (during issue 3's development) gain it.
    'ALTER TABLE import_files ADD COLUMN IF NOT EXISTS parser_state VARCHAR',
    `CREATE TABLE IF NOT EXISTS provider_costs (record_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL,
      source_ref VARCHAR, bucket_start TIMESTAMP NOT NULL, bucket_end TIMESTAMP NOT NULL, provider VARCHAR NOT NULL,
      project VARCHAR, model VARCHAR, line_item VARCHAR, amount HUGEINT NOT NULL, currency VARCHAR NOT NULL,
      details VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS activity (record_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, source_ref VARCHAR,
      actor_type VARCHAR NOT NULL, actor VARCHAR NOT NULL, date VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
      num_sessions BIGINT NOT NULL, lines_added BIGINT NOT NULL, lines_removed BIGINT NOT NULL,
      commits BIGINT NOT NULL, pull_requests BIGINT NOT NULL, tool_actions VARCHAR NOT NULL, details VARCHAR NOT NULL,
      ingested_at TIMESTAMP NOT NULL)`,
  ];
}

const ts = (p: string) => `make_timestamp(${p}::BIGINT)`;

// Column types in table order (importRecordsSchemaSql).
const COST_TYPES: StageType[] = [
  ...(['text', 'text', 'text', 'timestamp', 'timestamp', 'text', 'text', 'text', 'text'] as const),
  ...(['hugeint', 'text', 'text', 'timestamp'] as const),
];
const ACTIVITY_TYPES: StageType[] = [
  ...(['text', 'text', 'text', 'text', 'text', 'text', 'timestamp'] as const),
  ...(['bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'text', 'timestamp'] as const),
];

export function createDuckDbImportRecords(s: DuckDbSession): ImportRecords {
  const insertAll = (
    what: string,
    table: string,
    types: readonly StageType[],
    rows: StageValue[][],
    total: number,
  ) =>
    s.exclusive(async () => {
      const inserted = await stageInsert(s, what, table, types, rows, 'IGNORE');
      return { inserted, duplicates: total - inserted } satisfies AppendResult;
    });

  return {
    fileStates: (source) => s.exclusive(() => readStates(s, source)),

    saveFileStates: async (states) => {
      if (states.length === 0) return;
      await s.exclusive(() => saveStates(s, states));
    },

    appendCosts: (records, ingestedAt) =>
      insertAll(
        'storing provider costs',
        'provider_costs',
        COST_TYPES,
        uniqueBy(records).map((r) => [
          r.record_id,
          r.source,
          r.source_ref,
          BigInt(r.bucket_start),
          BigInt(r.bucket_end),
          r.provider,
          r.project,
          r.model,
          r.line_item,
          r.amount,
          r.currency,
          JSON.stringify(r.details),
          BigInt(ingestedAt),
        ]),
        records.length,
      ),

    appendActivity: (records, ingestedAt) =>
      insertAll(
        'storing activity',
        'activity',
        ACTIVITY_TYPES,
        uniqueBy(records).map((r) => [
          r.record_id,
          r.source,
          r.source_ref,
          r.actor_type,
          r.actor,
          r.date,
          BigInt(r.ts),
          r.num_sessions,
          r.lines_added,
          r.lines_removed,
          r.commits,
          r.pull_requests,
          JSON.stringify(r.tool_actions),
          JSON.stringify(r.details),
          BigInt(ingestedAt),
        ]),
        records.length,
      ),

    providerCosts: (f = {}) =>
      s.exclusive(async () => {
        const { where, params } = rangeWhere(f, 'bucket_start');
        const rows = await s.rows(
          'reading provider costs',
          `SELECT record_id, source, source_ref, epoch_us(bucket_start), epoch_us(bucket_end), provider, project, model,
             line_item, amount, currency, details FROM provider_costs WHERE ${where}
           ORDER BY bucket_start, provider, project NULLS FIRST, model NULLS FIRST, line_item NULLS FIRST, record_id`,
          params,
        );
        return rows.map(
          (r): ProviderCostRecord => ({
            record_id: String(r[0]),
            source: String(r[1]),
            source_ref: String(r[2]),
            bucket_start: Number(r[3]),
            bucket_end: Number(r[4]),
            provider: String(r[5]),
            project: strOrNull(r[6]),
            model: strOrNull(r[7]),
            line_item: strOrNull(r[8]),
            amount: BigInt(r[9] as bigint),
            currency: String(r[10]),
            details: JSON.parse(String(r[11])),
          }),
        );
      }),

    activity: (f = {}) =>
      s.exclusive(async () => {
        const { where, params } = rangeWhere({ since: f.since, until: f.until }, 'ts');
        const rows = await s.rows(
          'reading activity',
          `SELECT record_id, source, source_ref, actor_type, actor, date, epoch_us(ts), num_sessions, lines_added,
             lines_removed, commits, pull_requests, tool_actions, details FROM activity WHERE ${where}
           ORDER BY date, actor, record_id`,
          params,
        );
        return rows.map(
          (r): ActivityRecord => ({
            record_id: String(r[0]),
            source: String(r[1]),
            source_ref: String(r[2]),
            actor_type: String(r[3]),
            actor: String(r[4]),
            date: String(r[5]),
            ts: Number(r[6]),
            num_sessions: Number(r[7]),
            lines_added: Number(r[8]),
            lines_removed: Number(r[9]),
            commits: Number(r[10]),
            pull_requests: Number(r[11]),
            tool_actions: JSON.parse(String(r[12])),
            details: JSON.parse(String(r[13])),
          }),
        );
      }),

    computedCosts: (f = {}) =>
      s.exclusive(async () => {
        const { where, params } = rangeWhere(f, 'ts');
        const has = 'provider_cost_usd IS NOT NULL';
        const searched = 'web_search_requests > 0';
        const fees = 'cost_usd - cost_input - cost_cache_read - cost_cache_write - cost_output';
        const rows = await s.rows(
          'summing computed costs',
          `SELECT strftime(date_trunc('day', ts), '%Y-%m-%d') AS day, source, provider, project, model,
             count(*), coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL),
             count(*) FILTER (WHERE ${has}), coalesce(sum(provider_cost_usd), 0),
             coalesce(sum(cost_usd) FILTER (WHERE ${has}), 0), count(*) FILTER (WHERE ${has} AND cost_usd IS NULL),
             count(*) FILTER (WHERE ${searched}), count(*) FILTER (WHERE ${searched} AND cost_usd IS NULL),
             coalesce(sum(${fees}) FILTER (WHERE ${searched}), 0)
           FROM ledger_pico WHERE ${where}
           GROUP BY ALL ORDER BY day, source, provider NULLS FIRST, project NULLS FIRST, model`,
          params,
        );
        return rows.map(
          (r): ComputedCostRow => ({
            day: String(r[0]),
            source: String(r[1]),
            provider: strOrNull(r[2]),
            project: strOrNull(r[3]),
            model: String(r[4]),
            events: Number(r[5]),
            cost_usd: BigInt(r[6] as bigint),
            unpriced_events: Number(r[7]),
            provider_cost_events: Number(r[8]),
            provider_cost_usd: BigInt(r[9] as bigint),
            cost_usd_of_provider_cost_events: BigInt(r[10] as bigint),
            unpriced_provider_cost_events: Number(r[11]),
            web_search_events: Number(r[12]),
            unpriced_web_search_events: Number(r[13]),
            web_search_usd: BigInt(r[14] as bigint),
          }),
        );
      }),
  };
}

function uniqueBy<T extends { record_id: string }>(records: readonly T[]): T[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(r.record_id) && seen.add(r.record_id) !== undefined);
}

function strOrNull(v: DuckDBValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

function rangeWhere(f: RecordFilter, column: string): { where: string; params: SqlParam[] } {
  const where = ['TRUE'];
  const params: SqlParam[] = [];
  if (f.since !== undefined) {
    where.push(`${column} >= ${ts('?')}`);
    params.push(BigInt(f.since));
  }
  if (f.until !== undefined) {
    where.push(`${column} < ${ts('?')}`);
    params.push(BigInt(f.until));
  }
  if (f.provider !== undefined) {
    where.push('provider = ?');
    params.push(f.provider);
  }
  return { where: where.join(' AND '), params };
}
