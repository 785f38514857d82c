import { TOKEN_FIELDS } from '../../ledger/event.js';
import {
  CHARGE_SUM_COLUMNS,
  chargeSums,
  FOCUS_GROUP,
  GIVEN_SUM_COLUMNS,
  givenSums,
  RATED_SOURCES,
  secondaryCharges,
} from '../focus/focus-sql.js';
import { ident } from './dialect.js';
import { CLICKHOUSE_FOCUS as d } from './focus-dialect.js';
import type { DayTable } from './rollup.js';

/**
 * The FOCUS export's daily sums on ClickHouse (docs/store.md, FOCUS days). The export's rows are made from groups of
 * a UTC day's events (focus/focus-sql.ts): rated groups, split into charges, and groups whose cost was given; and it
 * counts the unpriced events it leaves out. Those groups and every other are rows of one day table, `focus_days`, built
 * as the report rollups are (rollup.ts): an export reads each whole day it holds as it is now, and only the rest from
 * the events. So a month's export, after the first, reads a few thousand rows a day rather than every call; and the
 * months a raw retention dropped (retire.ts) export as they did.
 *
 * One table, not one per kind: a day is built by one statement and swapped in whole, and every day with a call has
 * a row in it (rollup.ts: a day without one reads as never built).
 *
 * The table's columns are its SELECT's (CREATE … EMPTY AS): a change to what it sums needs the table made again.
 */

const GROUP = [...FOCUS_GROUP, 'rates'].map(ident);
const KEY = ['day', ...GROUP].join(', ');
const DAY = `toDateTime64(toStartOfDay(p.ts), 6, 'UTC') AS day`;
const P_GROUP = GROUP.map((g) => `p.${g} AS ${g}`).join(', ');
const UNPRICED_COLUMNS = ['unpriced_events', 'unpriced_tokens'];
const TOKENS = TOKEN_FIELDS.map((f) => `p.${f}`).join(' + ');

/** Which groups are rated (priced from a rate card) and which had their cost given, by their key's columns. */
const RATED = `cost_source IN ${RATED_SOURCES} AND notEmpty(rates)`;
const GIVEN = `cost_source NOT IN ${RATED_SOURCES} AND cost_source <> 'unpriced'`;

/** Rated groups of the events `where` picks: a day, FOCUS_GROUP and the card, with each charge's sums. */
export const ratedSql = (where: string) => `SELECT ${DAY}, ${P_GROUP}, ${chargeSums(d).join(', ')}
  FROM (SELECT p.*, ${secondaryCharges(d).join(', ')} FROM events AS p FINAL WHERE ${RATED} AND ${where}) AS p
  GROUP BY ALL`;

/** Groups whose cost was given (a provider's or an export's), with their tokens, requests and cost. */
export const givenSql = (where: string) => `SELECT ${DAY}, ${P_GROUP}, ${givenSums(d).join(', ')}
  FROM events AS p FINAL WHERE ${GIVEN} AND ${where}
  GROUP BY ALL`;

/** Every (provider, model) of a day, to be named, with the unpriced events the rows leave out. */
export const pairsSql = (where: string) => `SELECT ${DAY},
    coalesce(p.provider, '') AS pair_provider, p.model AS pair_model,
    countIf(p.cost_source = 'unpriced') AS unpriced_events,
    sumIf(${TOKENS}, p.cost_source = 'unpriced') AS unpriced_tokens
  FROM events AS p FINAL WHERE ${where}
  GROUP BY ALL`;

/**
 * Every other group (unpriced calls; a call computed at $0 with no rate card, as an imported record may come), with
 * the unpriced calls the rows leave out. Kept so that every day with a call has a row: one with none reads as never
 * built.
 */
const restSql = (where: string) => `SELECT ${DAY}, ${P_GROUP},
    countIf(p.cost_source = 'unpriced') AS unpriced_events,
    sumIf(${TOKENS}, p.cost_source = 'unpriced') AS unpriced_tokens
  FROM events AS p FINAL WHERE NOT (${RATED}) AND NOT (${GIVEN}) AND ${where}
  GROUP BY ALL`;

const zeros = (columns: readonly string[], type: string) =>
  columns.map((c) => `${type}(0) AS ${c}`).join(', ');

/** The table's rows: each kind of group, the other kinds' sums zero. Every call is in one of them. */
function daysSql(where: string): string {
  const rated = CHARGE_SUM_COLUMNS.join(', ');
  const given = GIVEN_SUM_COLUMNS.join(', ');
  const unpriced = UNPRICED_COLUMNS.join(', ');
  return `SELECT *, now64(6, 'UTC') AS built_at FROM (
  SELECT ${KEY}, ${rated}, ${zeros(GIVEN_SUM_COLUMNS, 'toInt128')}, ${zeros(UNPRICED_COLUMNS, 'toUInt64')}
  FROM (${ratedSql(where)})
  UNION ALL
  SELECT ${KEY}, ${zeros(CHARGE_SUM_COLUMNS, 'toInt128')}, ${given}, ${zeros(UNPRICED_COLUMNS, 'toUInt64')}
  FROM (${givenSql(where)})
  UNION ALL
  SELECT ${KEY}, ${zeros(CHARGE_SUM_COLUMNS, 'toInt128')}, ${zeros(GIVEN_SUM_COLUMNS, 'toInt128')}, ${unpriced}
  FROM (${restSql(where)})
)`;
}

export const FOCUS_DAYS: DayTable = { table: 'focus_days', build: daysSql };

export const focusDaysSchemaSql = (): string =>
  `CREATE TABLE IF NOT EXISTS ${FOCUS_DAYS.table} ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY day
   EMPTY AS ${daysSql('0')}`;

/** The rows of `focus_days` on the days `where` (a condition on `day`) picks, as ratedSql, givenSql and pairsSql. */
export function keptSql(where: string): { rated: string; given: string; pairs: string } {
  const from = `FROM ${FOCUS_DAYS.table} WHERE ${where}`;
  return {
    rated: `SELECT ${KEY}, ${CHARGE_SUM_COLUMNS.join(', ')} ${from} AND ${RATED}`,
    given: `SELECT ${KEY}, ${GIVEN_SUM_COLUMNS.join(', ')} ${from} AND ${GIVEN}`,
    pairs: `SELECT day, coalesce(provider, '') AS pair_provider, model AS pair_model,
      ${UNPRICED_COLUMNS.join(', ')} ${from}`,
  };
}
