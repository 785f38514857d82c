import { RATE_FIELDS, TOKEN_FIELDS } from '../../ledger/event.js';
import { CHARGE_KINDS, FOCUS_COLUMNS, type FocusColumn } from '../focus/dataset.js';
import {
  chargeColumns,
  chargeKept,
  chargeSums,
  FOCUS_GROUP,
  FOCUS_ORDER,
  type FocusDialect,
  type FocusPeriod,
  GIVEN_KIND,
  givenColumns,
  givenSums,
  RATED_SOURCES,
  secondaryCharges,
  typedColumns,
} from '../focus/focus-sql.js';
import { focusListing } from '../focus/listing.js';
import type { ExportResult } from '../store.js';
import type { ClickHouseSql } from './clickhouse-sql.js';
import { csvCell } from './csv.js';
import { ident } from './dialect.js';
import { closeExportFile, openExportFile, writeText } from './export-file.js';
import { withinSql } from './time.js';

/**
 * The FOCUS 1.2 dataset (docs/focus.md) from a ClickHouse ledger: the file DuckDB's export writes
 * (duckdb/focus-export.ts) for the same events, byte for byte up to the order of rows DuckDB's sort leaves tied.
 *
 * Compiled from the same dataset description (focus/focus-sql.ts: every column's expression and the rule splitting
 * a call's cost into charges), not computed in JS from the events: the rules then exist once, in SQL, for both
 * stores; ClickHouse aggregates the events where they are, so what crosses the wire is the rows, not the events; and
 * the money stays Int128 end to end. Only the CSV is written here, from the rows as ClickHouse streams them: its own
 * CSV format quotes every string and cannot write DuckDB's file.
 */
export async function exportFocus(
  sql: ClickHouseSql,
  o: { path: string; since?: number; until?: number; parquet?: boolean },
): Promise<Required<ExportResult>> {
  const [where, rangeParams] = withinSql('ts', { from: o.since, to: o.until });
  const inRange = where.length > 0 ? where.join(' AND ') : '1';
  // One read for both: the (provider, model) pairs to name, and the unpriced events the rows will leave out.
  const unpricedOnly = `cost_source = 'unpriced'`;
  const tokens = TOKEN_FIELDS.join(' + ');
  const pairs = await sql.rows(
    'listing providers and models for the FOCUS export',
    `SELECT coalesce(provider, '') AS pair_provider, model AS pair_model,
       countIf(${unpricedOnly}) AS unpriced_events, sumIf(${tokens}, ${unpricedOnly}) AS unpriced_tokens
     FROM events FINAL WHERE ${inRange} GROUP BY pair_provider, pair_model`,
    rangeParams,
  );
  const { names, unpriced } = focusListing(
    pairs.map((r) => ({
      provider: String(r.pair_provider),
      model: String(r.pair_model),
      unpricedEvents: Number(r.unpriced_events),
      unpricedTokens: Number(r.unpriced_tokens),
    })),
  );
  // The range's own parameters bound the charge periods.
  const period: FocusPeriod = {
    since: o.since === undefined ? 'NULL' : `fromUnixTimestamp64Micro({from:Int64}, 'UTC')`,
    until: o.until === undefined ? 'NULL' : `fromUnixTimestamp64Micro({to:Int64}, 'UTC')`,
  };
  const params = { ...rangeParams, names: JSON.stringify(names) };
  const dataset = focusSql(inRange, period);
  const out = await openExportFile(o.path);
  if (o.parquet) {
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
    for await (const block of sql.stream(
      'exporting the FOCUS dataset',
      `${dataset}\n${FOCUS_SETTINGS}`,
      params,
    )) {
      await writeText(
        out,
        block.map((r) => `${r.map((v) => csvCell(v as string | null)).join(',')}\n`).join(''),
      );
      rows += block.length;
    }
  } finally {
    await closeExportFile(out);
  }
  return { rows, unpriced };
}

/** A JSON escape, or a run of text without one: toJSONString's output in the pieces it is read in, left to right. */
const JSON_PIECES = String.raw`'\\\\u202[89]|\\\\.|[^\\\\]+'`;

/**
 * ClickHouse's FOCUS SQL: an event's rate card is its `rates` array (RATE_FIELDS order, 1-based), and a group's is
 * the same array, grouped on.
 */
const CLICKHOUSE_FOCUS: FocusDialect = {
  int128: (x) => `toInt128(${x})`,
  intDiv: (n, d) => `intDiv(${n}, ${d})`,
  digits: (x) => `toString(${x})`,
  fraction: (s, width) => `trim(TRAILING '0' FROM leftPad(${s}, ${width}, '0'))`,
  iso: (t) => `formatDateTime(${t}, '%Y-%m-%dT%H:%i:%SZ', 'UTC')`,
  monthStart: (t) => `toDateTime(toStartOfMonth(${t}), 'UTC')`,
  plusMonth: (t) => `addMonths(${t}, 1)`,
  plusDay: (t) => `addDays(${t}, 1)`,
  /**
   * toJSONString escapes as DuckDB's to_json does (with forward slashes left alone: focusSql's SETTINGS) but for
   * U+2028 and U+2029, which it writes as `\u2028` and `\u2029` for JavaScript's sake: those escapes are put back
   * as the characters. Read in pieces so that a backslash written as `\\` is never taken for one's start.
   */
  jsonObject(pairs) {
    const map = `mapFilter((_k, _v) -> _v IS NOT NULL, map(${pairs
      .map(([k, v]) => `'${k}', CAST(${v} AS Nullable(String))`)
      .join(', ')}))`;
    const unescaped = `multiIf(_t = '\\\\u2028', unhex('E280A8'), _t = '\\\\u2029', unhex('E280A9'), _t)`;
    const json = `arrayStringConcat(arrayMap(_t -> ${unescaped}, extractAll(toJSONString(${map}), ${JSON_PIECES})))`;
    return `if(empty(${map}), NULL, ${json})`;
  },
  rate: (of, field) => `${of}.rates[${RATE_FIELDS.indexOf(field) + 1}]`,
  toDecimal: (x, scale) => `CAST(${x} AS Nullable(Decimal(38, ${scale})))`,
  toInstant: (x) => `parseDateTime64BestEffortOrNull(${x}, 0, 'UTC')`,
  // A column NULL on every row (ChargeClass) is of type Nothing, which Parquet cannot hold.
  toText: (x) => `CAST(${x} AS Nullable(String))`,
  ident,
};

const GROUP = [...FOCUS_GROUP, 'rates'].map((g) => `p.${ident(g)} AS ${ident(g)}`).join(', ');

const NAMES_TYPE = `Array(Tuple(${['p', 'm', 'provider_name', 'service_name', 'publisher_name']
  .map((k) => `${k} String`)
  .join(', ')}))`;

const joinNames = `JOIN names AS n ON n.name_p = coalesce(a.provider, '') AND n.name_m = a.model`;

const select = (columns: Record<FocusColumn, string>) =>
  FOCUS_COLUMNS.map((c) => `${columns[c]} AS ${c}`).join(', ');

/**
 * The whole SELECT, on named parameters: the range's (as withinSql binds them, which bound the charge periods too)
 * and `names` (each (provider, model)'s names as JSON).
 *
 * A CTE is inlined wherever ClickHouse reads it, so DuckDB's eleven SELECTs of one aggregate (one per charge) would
 * aggregate the events eleven times here. Each group instead becomes its eleven rows at once: an array of one tuple
 * of columns per charge, arrayJoin'ed and kept where the charge has a quantity or a cost. The events are read twice,
 * for the rated groups and the given ones, as on DuckDB.
 */
function focusSql(inRange: string, period: FocusPeriod): string {
  const d = CLICKHOUSE_FOCUS;
  const charges = CHARGE_KINDS.map((k, i) => {
    const columns = chargeColumns(d, period, k);
    return `tuple(${FOCUS_COLUMNS.map((c) => columns[c]).join(', ')}, ${i}, ${chargeKept(k)})`;
  });
  const at = (i: number) => `tupleElement(c, ${i + 1})`;
  return `WITH priced AS (
  SELECT p.*, toStartOfDay(p.ts) AS day FROM events AS p FINAL WHERE p.cost_source <> 'unpriced' AND ${inRange}
),
split AS (
  SELECT p.*, ${secondaryCharges(d).join(', ')}
  FROM priced AS p WHERE p.cost_source IN ${RATED_SOURCES} AND notEmpty(p.rates)
),
rated AS (
  SELECT p.day AS day, ${GROUP},
    ${chargeSums(d).join(',\n    ')}
  FROM split AS p GROUP BY ALL
),
given AS (
  SELECT p.day AS day, ${GROUP}, ${givenSums(d).join(', ')}
  FROM priced AS p WHERE p.cost_source NOT IN ${RATED_SOURCES} GROUP BY ALL
),
names AS (
  SELECT tupleElement(x, 'p') AS name_p, tupleElement(x, 'm') AS name_m,
    tupleElement(x, 'provider_name') AS provider_name, tupleElement(x, 'service_name') AS service_name,
    tupleElement(x, 'publisher_name') AS publisher_name
  FROM (SELECT arrayJoin(JSONExtract({names:String}, '${NAMES_TYPE}')) AS x)
)
SELECT * EXCEPT (_day, _kind) FROM (
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
