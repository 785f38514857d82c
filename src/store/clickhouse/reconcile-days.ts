import type { DayTable } from './rollup.js';

/**
 * What `reconcile` sets against provider invoices (ImportRecords.computedCosts), summed per UTC day, source,
 * provider, project and model: as a day table (rollup.ts), read for every whole day it holds as it is now, so a
 * month whose calls a raw retention dropped (retire.ts) reconciles as it did. No report rollup keeps these sums: the
 * provider-given costs, the calls with web searches and their fees.
 *
 * The table's columns are its SELECT's (CREATE … EMPTY AS): a change to what it sums needs the table made again.
 */

const GIVEN = 'provider_cost_usd IS NOT NULL';
const SEARCHED = 'web_search_requests > 0';
const FEES = 'cost_usd - cost_input - cost_cache_read - cost_cache_write - cost_output';

/**
 * The sums of the events `where` picks. Aliases apart from the column names: in ClickHouse an alias is what a later
 * expression naming it reads.
 */
export const computedSql = (where: string) => `SELECT toDateTime64(toStartOfDay(ts), 6, 'UTC') AS day,
    source, provider, project, model,
    count() AS n, coalesce(sum(cost_usd), toInt128(0)) AS cost, countIf(cost_usd IS NULL) AS unpriced,
    countIf(${GIVEN}) AS given, coalesce(sum(provider_cost_usd), toInt128(0)) AS given_usd,
    coalesce(sumIf(cost_usd, ${GIVEN}), toInt128(0)) AS ours_of_given,
    countIf(${GIVEN} AND cost_usd IS NULL) AS unpriced_given,
    countIf(${SEARCHED}) AS searches, countIf(${SEARCHED} AND cost_usd IS NULL) AS unpriced_searches,
    coalesce(sumIf(${FEES}, ${SEARCHED}), toInt128(0)) AS search_usd
  FROM events FINAL WHERE ${where}
  GROUP BY day, source, provider, project, model`;

export const RECONCILE_DAYS: DayTable = {
  table: 'reconcile_days',
  build: (where) => `SELECT *, now64(6, 'UTC') AS built_at FROM (${computedSql(where)})`,
};

export const reconcileDaysSchemaSql = (): string =>
  `CREATE TABLE IF NOT EXISTS ${RECONCILE_DAYS.table} ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY day
   EMPTY AS ${RECONCILE_DAYS.build('0')}`;
