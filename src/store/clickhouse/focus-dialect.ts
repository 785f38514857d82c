import { RATE_FIELDS } from '../../ledger/event.js';
import type { FocusDialect } from '../focus/focus-sql.js';
import { ident } from './dialect.js';

/** A JSON escape, or a run of text without one: toJSONString's output in the pieces it is read in, left to right. */
const JSON_PIECES = String.raw`'\\\\u202[89]|\\\\.|[^\\\\]+'`;

/**
 * ClickHouse's FOCUS SQL: an event's rate card is its `rates` array (RATE_FIELDS order, 1-based), and a group's is
 * the same array, grouped on.
 */
export const CLICKHOUSE_FOCUS: FocusDialect = {
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
