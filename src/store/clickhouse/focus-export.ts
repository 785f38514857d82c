import { CHARGE_KINDS, FOCUS_COLUMNS, type FocusColumn } from '../focus/dataset.js';
import {
  chargeColumns,
  chargeKept,
  FOCUS_ORDER,
  type FocusPeriod,
  GIVEN_KIND,
  givenColumns,
  typedColumns,
} from '../focus/focus-sql.js';
import { focusListing } from '../focus/listing.js';
import type { ExportResult } from '../store.js';
import type { ClickHouseSql } from './clickhouse-sql.js';
import { csvCellSql } from './csv.js';
import { ident } from './dialect.js';
import { closeExportFile, openExportFile, writeText } from './export-file.js';
import { givenSql, keptSql, pairsSql, ratedSql } from './focus-days.js';
import { CLICKHOUSE_FOCUS } from './focus-dialect.js';
import { type DayPlan, freshSql } from './rollup.js';
import { linesInto } from './row-binary-lines.js';
import { rangesSql } from './time.js';

/**
 * The FOCUS 1.2 dataset (docs/focus.md) from a ClickHouse ledger: the file DuckDB's export writes
 * (duckdb/focus-export.ts) for the same events, byte for byte up to the order of rows DuckDB's sort leaves tied.
 *
 * Compiled from the same dataset description (focus/focus-sql.ts: every column's expression and the rule splitting
 * a call's cost into charges), not computed in JS from the events: the rules then exist once, in SQL, for both
 * stores; ClickHouse aggregates the events where they are, so what crosses the wire is the rows, not the events; and
 * the money stays Int128 end to end. ClickHouse's own CSV format quotes every string and cannot write DuckDB's file,
 * so each line is made in the SQL, quoted as DuckDB quotes (csv.ts, csvCellSql), and only written out here.
 *
 * `days` says which UTC days of the range are read from `focus_days` (focus-days.ts), and which ranges from the
 * events.
 */
export async function exportFocus(
  sql: ClickHouseSql,
  o: { path: string; since?: number; until?: number; parquet?: boolean; days: DayPlan },
): Promise<Required<ExportResult>> {
  const sources = daySources(o.days);
  // One read for both: the (provider, model) pairs to name, and the unpriced events the rows will leave out.
  const pairs = await sql.rows(
    'listing providers and models for the FOCUS export',
    `SELECT pair_provider, pair_model, sum(unpriced_events) AS unpriced_events, sum(unpriced_tokens) AS unpriced_tokens
     FROM (${sources.pairs}) GROUP BY pair_provider, pair_model`,
    sources.params,
  );
  const { names, unpriced } = focusListing(
    pairs.map((r) => ({
      provider: String(r.pair_provider),
      model: String(r.pair_model),
      unpricedEvents: Number(r.unpriced_events),
      unpricedTokens: Number(r.unpriced_tokens),
    })),
  );
  // The range's own bounds bound the charge periods.
  const period: FocusPeriod = {
    since: o.since === undefined ? 'NULL' : `fromUnixTimestamp64Micro({since:Int64}, 'UTC')`,
    until: o.until === undefined ? 'NULL' : `fromUnixTimestamp64Micro({until:Int64}, 'UTC')`,
  };
  const params: Record<string, unknown> = { ...sources.params, names: JSON.stringify(names) };
  if (o.since !== undefined) params.since = o.since;
  if (o.until !== undefined) params.until = o.until;
  const out = await openExportFile(o.path);
  if (o.parquet) {
    const dataset = focusSql(sources, period);
    // ClickHouse writes the file; the rows are counted by a read of their own, as the stream does not say.
    const rows = await sql.rows('counting the FOCUS rows', `SELECT count() AS n FROM (${dataset})`, params);
    await sql.pipe(
      'exporting the FOCUS dataset',
      `SELECT ${typedColumns(CLICKHOUSE_FOCUS)} FROM (${dataset}) ${FOCUS_SETTINGS} FORMAT Parquet`,
      params,
      out,
    );
    return { rows: Number(rows[0]?.n), unpriced };
  }
  let rows = 0;
  try {
    await writeText(out, `${FOCUS_COLUMNS.join(',')}\n`);
    // ClickHouse writes each line (csvCellSql), framed as RowBinary so that they are counted as they pass: a quoted
    // cell may hold a line break. JavaScript quoting every cell took a third of the export's time.
    const line = `arrayStringConcat([${FOCUS_COLUMNS.map((c) => csvCellSql(ident(c))).join(', ')}], ',')`;
    await sql.pipe(
      'exporting the FOCUS dataset',
      `${focusSql(sources, period, line)} ${FOCUS_SETTINGS} FORMAT RowBinary`,
      params,
      linesInto(out, () => rows++),
    );
  } finally {
    await closeExportFile(out);
  }
  return { rows, unpriced };
}

interface DaySources {
  rated: string;
  given: string;
  pairs: string;
  params: Record<string, unknown>;
}

/**
 * The rated groups, given groups and pairs as SELECTs: the days of `fresh` from `focus_days`, the ranges of `raw`
 * from the events, on parameters of their own.
 */
function daySources({ raw, fresh }: DayPlan): DaySources {
  const [where, rawParams] = rangesSql('p.ts', raw, 'raw');
  const [kept, keptParams] = freshSql(fresh);
  const days = keptSql(kept);
  return {
    rated: `${ratedSql(where)}\n  UNION ALL ${days.rated}`,
    given: `${givenSql(where)}\n  UNION ALL ${days.given}`,
    pairs: `${pairsSql(where)}\n  UNION ALL ${days.pairs}`,
    params: { ...rawParams, ...keptParams },
  };
}

const NAMES_TYPE = `Array(Tuple(${['p', 'm', 'provider_name', 'service_name', 'publisher_name']
  .map((k) => `${k} String`)
  .join(', ')}))`;

const joinNames = `JOIN names AS n ON n.name_p = coalesce(a.provider, '') AND n.name_m = a.model`;

const select = (columns: Record<FocusColumn, string>) =>
  FOCUS_COLUMNS.map((c) => `${columns[c]} AS ${c}`).join(', ');

/**
 * The whole SELECT, on named parameters: the sources' (daySources), the range's bounds (`since`, `until`) and
 * `names` (each (provider, model)'s names as JSON).
 *
 * A CTE is inlined wherever ClickHouse reads it, so DuckDB's eleven SELECTs of one aggregate (one per charge) would
 * aggregate the events eleven times here. Each group instead becomes its eleven rows at once: an array of one tuple
 * of columns per charge, arrayJoin'ed and kept where the charge has a quantity or a cost. The events are read twice,
 * for the rated groups and the given ones, as on DuckDB.
 */
function focusSql(sources: DaySources, period: FocusPeriod, projection = '* EXCEPT (_day, _kind)'): string {
  const d = CLICKHOUSE_FOCUS;
  const charges = CHARGE_KINDS.map((k, i) => {
    const columns = chargeColumns(d, period, k);
    return `tuple(${FOCUS_COLUMNS.map((c) => columns[c]).join(', ')}, ${i}, ${chargeKept(k)})`;
  });
  const at = (i: number) => `tupleElement(c, ${i + 1})`;
  return `WITH rated AS (
  ${sources.rated}
),
given AS (
  ${sources.given}
),
names AS (
  SELECT tupleElement(x, 'p') AS name_p, tupleElement(x, 'm') AS name_m,
    tupleElement(x, 'provider_name') AS provider_name, tupleElement(x, 'service_name') AS service_name,
    tupleElement(x, 'publisher_name') AS publisher_name
  FROM (SELECT arrayJoin(JSONExtract({names:String}, '${NAMES_TYPE}')) AS x)
)
SELECT ${projection} FROM (
  SELECT ${FOCUS_COLUMNS.map((col, i) => `${at(i)} AS ${col}`).join(', ')},
    _day, ${at(FOCUS_COLUMNS.length)} AS _kind
  FROM (
    SELECT a.day AS _day, arrayJoin([
      ${charges.join(',\n      ')}
    ]) AS c
    FROM rated AS a ${joinNames}
  ) WHERE ${at(FOCUS_COLUMNS.length + 1)}
  UNION ALL
  SELECT ${select(givenColumns(d, period))}, a.day AS _day, ${GIVEN_KIND} AS _kind
  FROM given AS a ${joinNames}
) ORDER BY ${FOCUS_ORDER}`;
}

/** toJSONString as DuckDB's to_json: forward slashes as they are (CLICKHOUSE_FOCUS.jsonObject). */
const FOCUS_SETTINGS = 'SETTINGS output_format_json_escape_forward_slashes = 0';
