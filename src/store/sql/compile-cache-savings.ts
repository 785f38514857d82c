import { GATEWAY_CACHE_TAG } from '../../ledger/event.js';
import type { CacheSavingsRow, Query } from '../query.js';
import { filtersSql, type Param, rangeSql } from './compile-query.js';
import type { SqlDialect } from './dialect.js';
import { afterGroup, groupKeys, groupOf } from './group-keys.js';

/** The statement's table of hits (a CTE), with each hit's `original` id: a source may read it too. */
export const HITS = 'hits';

export interface CacheSavingsSources {
  /** The priced events a hit may be among (its range and filters are applied here). */
  hits: string;
  /**
   * The priced events the hits were answered from may be among: every event, which a store may narrow to the ids
   * the hits name (`event_id IN (SELECT original FROM hits)`) before pricing them.
   */
  originals: string;
  /** SQL giving an `originals` event_id from a hit's source_ref expression (NULL for one that names none). */
  originalId: (sourceRef: string) => string;
}

/**
 * Store.cacheSavings's SQL: the hits in the query's range and filters, by its bucket and dimensions, each joined to
 * the event it was answered from by its source_ref. Read from raw events: hits are the cache's, few beside calls.
 */
export function compileCacheSavings(
  q: Query,
  d: SqlDialect,
  s: CacheSavingsSources,
): { sql: string; params: Param[] } {
  const params: Param[] = [];
  const { keys, names } = groupKeys(q, d, params);
  const tag = d.tagValue('tags', '?');
  params.push(GATEWAY_CACHE_TAG);
  const where = [
    `${tag} = 'hit'`,
    rangeSql('ts', { from: q.since, to: q.until }, d, params),
    ...filtersSql(q.filters, d, params),
  ];
  const hits = `SELECT ${[...keys, `${s.originalId('source_ref')} AS original`].join(', ')} FROM ${s.hits} WHERE ${where.join(' AND ')}`;
  const originals = `SELECT event_id AS original_id, cost_usd AS original_cost FROM ${s.originals} WHERE event_id IN (SELECT original FROM ${HITS})`;
  const groupBy = names.length > 0 ? ` GROUP BY ${names.join(', ')}` : '';
  return {
    sql:
      `WITH ${HITS} AS (${hits}) SELECT ${[...names, 'count(*) AS hit_count', 'sum(original_cost) AS saved', 'count(original_cost) AS priced'].join(', ')} ` +
      `FROM ${HITS} LEFT JOIN (${originals}) o ON o.original_id = ${HITS}.original${groupBy}`,
    params,
  };
}

/** The rows of compileCacheSavings's SQL, each an array of its columns in order; `bucketIso` as reportResult's. */
export function cacheSavingsRows(
  q: Query,
  rows: Iterable<readonly unknown[]>,
  bucketIso: (v: unknown) => string,
): CacheSavingsRow[] {
  const out: CacheSavingsRow[] = [];
  const at = afterGroup(q);
  for (const r of rows) {
    const hits = Number(r[at]);
    // A count over no rows (a query without keys that found no hit) is one row of 0.
    if (hits === 0) continue;
    const saved = r[at + 1];
    out.push({
      ...groupOf(q, r, bucketIso),
      hits,
      saved_usd: saved === null || saved === undefined ? 0n : BigInt(String(saved)),
      unpriced: hits - Number(r[at + 2]),
    });
  }
  return out;
}
