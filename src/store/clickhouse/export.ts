import { COST_FIELDS, EVENT_FIELDS } from '../../ledger/event.js';
import { eventToRecord } from '../../ledger/serialize.js';
import type { ExportOptions, ExportResult } from '../store.js';
import type { ClickHouseSql } from './clickhouse-sql.js';
import { csvCell } from './csv.js';
import { ident } from './dialect.js';
import { eventPages } from './event-pages.js';
import { closeExportFile, openExportFile, writeText } from './export-file.js';
import { rowEvent } from './rows.js';
import { withinSql } from './time.js';

/**
 * Canonical records (docs/ledger.md) as DuckDB's export writes them (duckdb/export.ts), written here from the events
 * a page at a time through the same serializer the JSONL export and import share; Parquet by ClickHouse itself. The
 * FOCUS dataset is focus-export.ts's.
 */
export async function exportClickHouse(sql: ClickHouseSql, o: ExportOptions): Promise<ExportResult> {
  const [where, params] = withinSql('ts', { from: o.since, to: o.until });
  const inRange = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  const tagKeys =
    o.format === 'csv'
      ? (
          await sql.rows(
            'listing tag keys for the export',
            `SELECT DISTINCT arrayJoin(mapKeys(tags)) AS k FROM events FINAL${inRange} ORDER BY k`,
            params,
          )
        ).map((r) => String(r.k))
      : [];
  const out = await openExportFile(o.path);
  if (o.format === 'parquet') {
    const [{ n }] = (await sql.rows(
      'counting events to export',
      `SELECT count() AS n FROM events FINAL${inRange}`,
      params,
    )) as [{ n: string }];
    await sql.pipe(
      'exporting events',
      `SELECT ${PARQUET_COLUMNS} FROM events FINAL${inRange} ORDER BY ts, event_id FORMAT Parquet`,
      params,
      out,
    );
    return { rows: Number(n) };
  }
  let rows = 0;
  const header = EVENT_FIELDS.flatMap((f) => (f === 'tags' ? tagKeys.map((k) => `tag.${k}`) : [f]));
  if (o.format === 'csv') out.write(`${header.map((h) => csvCell(h)).join(',')}\n`);
  try {
    for await (const page of eventPages(sql, 'exporting events', where, params)) {
      let text = '';
      for (const r of page) {
        const record = eventToRecord(rowEvent(r).event);
        if (o.format === 'jsonl') text += `${JSON.stringify(record)}\n`;
        else {
          const tags = record.tags as Record<string, string>;
          const cells = EVENT_FIELDS.flatMap((f) =>
            f === 'tags'
              ? tagKeys.map((k) => csvCell(tags[k] ?? null))
              : [recordCell(record[f], FLOATS.has(f))],
          );
          text += `${cells.join(',')}\n`;
        }
      }
      rows += page.length;
      await writeText(out, text);
    }
  } finally {
    await closeExportFile(out);
  }
  return { rows };
}

const MONEY = new Set<string>([...COST_FIELDS, 'provider_cost_usd']);

/**
 * The canonical records' columns with their types, as DuckDB's Parquet keeps them: times as UTC timestamps, money as
 * DECIMAL(38,12) (pico-dollars are its unscaled value: the bits are the same), tags as a map. `rates` is left out.
 */
const PARQUET_COLUMNS = EVENT_FIELDS.map((f) =>
  MONEY.has(f)
    ? `if(isNull(${ident(f)}), NULL, reinterpret(assumeNotNull(${ident(f)}), 'Decimal(38, 12)')) AS ${ident(f)}`
    : ident(f),
).join(', ');

/** The event fields that are floating point: DuckDB writes a whole one as `649.0`, and so does this export. */
const FLOATS = new Set<string>(['duration_ms', 'ttft_ms', 'energy_j']);

/** A canonical record's value as a CSV cell (csv.ts), a whole float as DuckDB writes it. */
function recordCell(v: unknown, float = false): string {
  if (v === null || v === undefined) return csvCell(null);
  if (float && Number.isInteger(v)) return (v as number).toFixed(1);
  return csvCell(String(v));
}
