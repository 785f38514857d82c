import { bucketZone, type Query } from '../query.js';
import { dimensionSql, type Param } from './compile-query.js';
import type { SqlDialect } from './dialect.js';

/**
 * The grouping of a read beside the report (Store.energy, Store.cacheSavings) by the query's bucket and dimensions,
 * as the report groups: the SELECT keys (`… AS bucket`, `… AS d0`, …) with their parameters pushed onto `params`,
 * and their names, for GROUP BY.
 */
export function groupKeys(q: Query, d: SqlDialect, params: Param[]): { keys: string[]; names: string[] } {
  const zone = bucketZone(q);
  const keys: string[] = [];
  const names: string[] = [];
  if (q.bucket !== undefined) {
    keys.push(`${d.bucketStart(q.bucket, 'ts', zone === undefined ? undefined : '?')} AS bucket`);
    names.push('bucket');
    // The dialect's SQL holds the zone's placeholder exactly twice.
    if (zone !== undefined) params.push(zone, zone);
  }
  for (const [i, dim] of q.dimensions.entries()) {
    keys.push(`${dimensionSql(dim, d, params)} AS d${i}`);
    names.push(`d${i}`);
  }
  return { keys, names };
}

/** A row's group, from the columns groupKeys put first; `bucketIso` as reportResult's. */
export function groupOf(
  q: Query,
  r: readonly unknown[],
  bucketIso: (v: unknown) => string,
): { bucket?: string; dims: Record<string, string | null> } {
  const first = q.bucket === undefined ? 0 : 1;
  const dims: Record<string, string | null> = {};
  for (const [i, dim] of q.dimensions.entries()) {
    const v = r[first + i];
    dims[dim] = v === null || v === undefined ? null : String(v);
  }
  return q.bucket === undefined ? { dims } : { bucket: bucketIso(r[0]), dims };
}

/** The index of a row's first column after its group's. */
export const afterGroup = (q: Query): number => (q.bucket === undefined ? 0 : 1) + q.dimensions.length;
