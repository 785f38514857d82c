import { GATEWAY_CACHE_TAG } from '../../ledger/event.js';
import { bucketZone, type CacheSavingsRow, type Query } from '../query.js';
import { dimensionSql, filtersSql, type Param, rangeSql } from './compile-query.js';
import type { SqlDialect } from './dialect.js';

/** The statement's table of hits (a CTE), with each hit's `original` id: a source may read it too. */
export const HITS = 'hits';

export interface CacheSavingsSources {
  /** The priced events a hit may be among (its range and filters are applied here). */
  hits: string;
  /** The priced events the hits were answered from may be among: every event up to the range's end. */
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
  const zone = bucketZone(q);
  const keys: string[] = [];
  if (q.bucket !== undefined) {
    keys.push(`${d.bucketStart(q.bucket, 'ts', zone === undefined ? undefined : '?')} AS bucket`);
    // The dialect's SQL holds the zone's placeholder exactly twice.
    if (zone !== undefined) params.push(zone, zone);
  }
  for (const [i, dim] of q.dimensions.entries()) keys.push(`${dimensionSql(dim, d, params)} AS d${i}`);
  const tag = d.tagValue('tags', '?');
  params.push(GATEWAY_CACHE_TAG);
  const where = [
    `${tag} = 'hit'`,
    rangeSql('ts', { from: q.since, to: q.until }, d, params),
    ...filtersSql(q.filters, d, params),
  ];
  const names = keys.map((k) => k.slice(k.lastIndexOf(' AS ') + 4));
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
  const first = q.bucket === undefined ? 0 : 1;
  for (const r of rows) {
    const at = first + q.dimensions.length;
    const hits = Number(r[at]);
    // A count over no rows (a query without keys that found no hit) is one row of 0.
    if (hits === 0) continue;
    const dims: Record<string, string | null> = {};
    for (const [i, dim] of q.dimensions.entries()) {
      const v = r[first + i];
      dims[dim] = v === null || v === undefined ? null : String(v);
    }
    const saved = r[at + 1];
    out.push({
      ...(q.bucket === undefined ? {} : { bucket: bucketIso(r[0]) }),
      dims,
      hits,
      saved_usd: saved === null || saved === undefined ? 0n : BigInt(String(saved)),
      unpriced: hits - Number(r[at + 2]),
    });
  }
  return out;
}
