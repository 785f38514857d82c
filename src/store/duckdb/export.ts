import { EVENT_FIELDS } from '../../ledger/event.js';
import { exportFailed, storeError } from '../errors.js';
import { MONEY_MEASURES } from '../query.js';
import type { ExportOptions } from '../store.js';
import { q } from './schema.js';
import type { DuckDbSession, SqlParam } from './session.js';

const FORMATS = ['jsonl', 'csv', 'parquet'] as const;
const ISO = `'%Y-%m-%dT%H:%M:%S.%fZ'`;
const MONEY = new Set<string>([...MONEY_MEASURES, 'provider_cost_usd']);

/**
 * Writes canonical records (docs/ledger.md): EVENT_FIELDS in order, `rates` omitted (the costs are exported as
 * values, with cost_source and price_version). JSONL and CSV carry ts as ISO-8601 UTC with microseconds and money
 * as decimal strings with 12 digits; CSV spreads tags into `tag.KEY` columns; Parquet keeps typed columns
 * (TIMESTAMP in UTC, DECIMAL(38,12), MAP). DuckDB's COPY streams, so memory stays flat however many rows.
 */
export async function exportLedger(
  s: DuckDbSession,
  o: ExportOptions & { format: (typeof FORMATS)[number] },
): Promise<{ rows: number }> {
  if (!FORMATS.includes(o.format)) {
    throw storeError(
      'STORE_EXPORT_FAILED',
      `unknown export format ${JSON.stringify(o.format)}: use ${FORMATS.join(', ')}`,
    );
  }
  const range = exportRange(o);
  const params = range.params;
  const whereSql = range.sql === 'TRUE' ? '' : `WHERE ${range.sql}`;
  const typed = o.format === 'parquet';
  const tagKeys =
    o.format === 'csv'
      ? (
          await s.rows(
            'listing tag keys for the export',
            `SELECT DISTINCT unnest(map_keys(tags)) AS k FROM ledger ${whereSql} ORDER BY k`,
            params,
          )
        ).map((r) => String(r[0]))
      : [];
  const select: string[] = [];
  const selectParams: SqlParam[] = [];
  for (const f of EVENT_FIELDS) {
    if (f === 'tags') {
      if (o.format === 'csv') {
        for (const k of tagKeys) {
          select.push(`map_extract_value(tags, ?::VARCHAR) AS ${q(`tag.${k}`)}`);
          selectParams.push(k);
        }
      } else {
        select.push(`coalesce(tags, MAP {}::MAP(VARCHAR, VARCHAR)) AS tags`);
      }
    } else if ((f === 'ts' || f === 'ingested_at') && !typed) {
      select.push(`strftime(${f}, ${ISO}) AS ${f}`);
    } else if (MONEY.has(f) && !typed) {
      select.push(`${f}::VARCHAR AS ${f}`);
    } else {
      select.push(q(f));
    }
  }
  const options = { jsonl: 'FORMAT json', csv: 'FORMAT csv, HEADER', parquet: 'FORMAT parquet' }[o.format];
  try {
    const rows = await s.run(
      'exporting events',
      `COPY (SELECT ${select.join(', ')} FROM ledger ${whereSql}) TO ${copyTarget(o.path)} (${options})`,
      [...selectParams, ...params],
    );
    return { rows };
  } catch (err) {
    throw exportFailed(o.path, err);
  }
}

/** The events of an export's range, as SQL on `ts` (TRUE for all) and its parameters. */
export function exportRange(o: { since?: number; until?: number }): { sql: string; params: SqlParam[] } {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (o.since !== undefined) {
    where.push('ts >= make_timestamp(?::BIGINT)');
    params.push(BigInt(o.since));
  }
  if (o.until !== undefined) {
    where.push('ts < make_timestamp(?::BIGINT)');
    params.push(BigInt(o.until));
  }
  return { sql: where.length > 0 ? where.join(' AND ') : 'TRUE', params };
}

/**
 * COPY's target. COPY cannot take it as a bound parameter, so the path is written as a string literal with its
 * quotes doubled (the only escape a SQL string literal has). Everything else is bound.
 */
export const copyTarget = (path: string): string => `'${path.replaceAll("'", "''")}'`;
