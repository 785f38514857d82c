/**
 * Money leaves the API as decimal strings with 12 fractional digits (never a float), as in `report --format json`
 * (docs/cli.md); token counts as integers. Rows carry their dimension values under their own names.
 */
import { formatUsd } from '../../money/money.js';
import { MEASURES, type Measures, MONEY_MEASURES, type QueryResult, type Row } from '../../store/query.js';

const MONEY = new Set<string>(MONEY_MEASURES);

export type JsonRow = Record<string, string | number | boolean | null>;

function measuresJson(m: Measures): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const k of MEASURES) out[k] = MONEY.has(k) ? formatUsd(m[k] as bigint) : (m[k] as number);
  if (m.billed_cost_usd !== undefined) out.billed_cost_usd = formatUsd(m.billed_cost_usd);
  if (m.billed_unpriced_events !== undefined) out.billed_unpriced_events = m.billed_unpriced_events;
  return out;
}

export function rowJson(r: Row): JsonRow {
  return {
    ...(r.bucket !== undefined ? { bucket: r.bucket } : {}),
    ...r.dims,
    ...measuresJson(r),
    ...(r.shared_usd !== undefined
      ? { shared_usd: formatUsd(r.shared_usd), allocated_usd: formatUsd(r.cost_usd + r.shared_usd) }
      : {}),
    unpriced_events: r.unpriced_events,
  };
}

/**
 * `flagOther` (a top-N answer): every row also says whether it is the one that folds every group past the N. Its
 * dimension values read "other", as a real team or user called "other" does: the flag, last so that a CSV's columns
 * keep their places, is what tells them apart.
 */
export function resultJson(r: QueryResult, flagOther = false) {
  const rows = r.rows.map((x) => (flagOther ? { ...rowJson(x), other: x.folded === true } : rowJson(x)));
  return { rows, totals: measuresJson(r.totals), unpriced: r.unpriced };
}

/**
 * The columns of resultJson's rows, in their order, known before any row is: a CSV with no row (a range or filter
 * that matches nothing) still has its header, which a script reads columns by. `billed`: a query with the as-billed
 * measures; `flagOther` last, so that the columns before it keep their places.
 */
export function resultColumns(
  dims: readonly string[],
  bucketed: boolean,
  flagOther = false,
  billed = false,
  shared = false,
): string[] {
  return [
    ...(bucketed ? ['bucket'] : []),
    ...dims,
    ...MEASURES,
    ...(billed ? ['billed_cost_usd', 'billed_unpriced_events'] : []),
    ...(shared ? ['shared_usd', 'allocated_usd'] : []),
    'unpriced_events',
    ...(flagOther ? ['other'] : []),
  ];
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one) as a formula. Names in these CSVs
 * come from whoever sent the calls (a gateway header, an agent's log), so such a cell gets a leading ' that makes it
 * text, as OWASP advises. A plain number (a negative amount) is no formula and stays a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(rows: readonly Record<string, unknown>[], header?: readonly string[]): string {
  const cols = header ?? (rows[0] ? Object.keys(rows[0]) : []);
  return `${cols.join(',')}\n${csvRows(rows, cols)}`;
}

/** The rows' CSV lines, each ending in a newline, in the columns given: the body of toCsv, for a CSV sent in pieces. */
export function csvRows(rows: readonly Record<string, unknown>[], cols: readonly string[]): string {
  let out = '';
  for (const r of rows) out += `${cols.map((c) => csvCell(r[c])).join(',')}\n`;
  return out;
}
