import { USAGE_FIELDS } from '../../ledger/event.js';
import { MONEY_MEASURES } from '../query.js';
import { ROLLUP_DIMENSIONS } from '../sql/rollup-dims.js';
import { pricedSelectSql } from './cost-sql.js';
import { q, ROLLUP_COLUMNS, rollupAggregateSql } from './schema.js';
import type { DuckDbSession } from './session.js';
import { type BatchConstants, DICT_LIST, STAGE_TABLE, stageValueSql } from './stage.js';

const MEASURES = ROLLUP_COLUMNS.slice(1 + ROLLUP_DIMENSIONS.length).map(([n]) => n);
const KEYS = ['day', ...ROLLUP_DIMENSIONS].map(q).join(', ');
const TOKENS = USAGE_FIELDS.filter((f) => f !== 'requests' && f !== 'reasoning_tokens');

/**
 * The rollup rows of the staged batch (rows passing `where`). Grouping happens on the batch's dictionary codes and
 * only the grouped rows are decoded: decoding strings is the expensive part of staging.
 */
export function stagedRollupDeltaSql(
  where: string,
  constants: BatchConstants,
): { sql: string; params: string[] } {
  const params: string[] = [];
  const given = (m: string) => stageValueSql(`given_${m}`, constants, params);
  // Dimensions constant over the batch are not staged: they are bound once when decoding.
  const varying = ROLLUP_DIMENSIONS.filter((dim) => !constants.has(dim));
  const codes = varying.map((dim) => `, s.${q(dim)}`).join('');
  const priced = pricedSelectSql({
    keep: `date_trunc('day', make_timestamp(s.ts::BIGINT)) AS day${codes}, ${USAGE_FIELDS.map((f) => `s.${q(f)}`).join(', ')}`,
    from: `${STAGE_TABLE} s LEFT JOIN rate_cards r ON r.rate_id = s.rate_id CROSS JOIN ${DICT_LIST} d`,
    where,
    e: 's',
    r: 'r',
    given,
  });
  const inner = `SELECT day${varying.map((dim) => `, ${q(dim)}`).join('')},
    count(*) AS events,
    ${USAGE_FIELDS.map((f) => `sum(${q(f)}) AS ${q(f)}`).join(', ')},
    ${MONEY_MEASURES.map((m) => `sum(${m}) AS ${m}`).join(', ')},
    0::HUGEINT AS billed_delta_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_events,
    coalesce(sum(${TOKENS.map(q).join(' + ')}) FILTER (WHERE cost_usd IS NULL), 0) AS unpriced_tokens
  FROM (${priced}) p
  GROUP BY ALL`;
  const decode = ROLLUP_DIMENSIONS.map(
    (dim) => `${stageValueSql(dim, constants, params, 'g')} AS ${q(dim)}`,
  ).join(', ');
  return {
    sql: `SELECT g.day, ${decode}, ${MEASURES.map((m) => `g.${q(m)}`).join(', ')}
FROM (${inner}) g, ${DICT_LIST} d`,
    params,
  };
}

/**
 * Adds `delta` (rollup-shaped rows) to rollup_day. The days it touches are re-summed with what they already held
 * and rewritten, so the rollup keeps one row per key; time-ordered appends touch a day or two.
 */
export async function mergeIntoRollup(
  s: DuckDbSession,
  delta: { sql: string; params?: readonly string[] },
): Promise<void> {
  await s.run(
    'aggregating the batch',
    `CREATE OR REPLACE TEMP TABLE rollup_delta AS ${delta.sql}`,
    delta.params,
  );
  const sums = MEASURES.map((m) => `sum(${q(m)}) AS ${q(m)}`).join(', ');
  await s.run(
    'merging the rollup',
    `CREATE OR REPLACE TEMP TABLE rollup_merged AS
     SELECT ${KEYS}, ${sums} FROM (
       SELECT * FROM rollup_day WHERE day IN (SELECT DISTINCT day FROM rollup_delta)
       UNION ALL SELECT * FROM rollup_delta
     ) GROUP BY ALL`,
  );
  await s.run(
    'merging the rollup',
    'DELETE FROM rollup_day WHERE day IN (SELECT DISTINCT day FROM rollup_delta)',
  );
  await s.run('merging the rollup', 'INSERT INTO rollup_day SELECT * FROM rollup_merged ORDER BY day');
}

/** Recomputes whole days of the rollup from the ledger (after a reprice changed events in them). */
export async function rebuildRollupDays(s: DuckDbSession, daysTable: string): Promise<void> {
  await s.run('rebuilding the rollup', `DELETE FROM rollup_day WHERE day IN (SELECT day FROM ${daysTable})`);
  await s.run(
    'rebuilding the rollup',
    `INSERT INTO rollup_day ${rollupAggregateSql(
      `SELECT * FROM ledger_pico WHERE date_trunc('day', ts) IN (SELECT day FROM ${daysTable})`,
    )}`,
  );
}
