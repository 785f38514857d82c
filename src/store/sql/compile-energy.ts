import { bucketZone, type EnergyRow, type Query } from '../query.js';
import { dimensionSql, filtersSql, type Param, rangeSql } from './compile-query.js';
import type { SqlDialect } from './dialect.js';

/**
 * Store.energy's SQL: Σ `energy_j` of the events in the query's range and filters that have one, by its bucket and
 * dimensions. Read from `raw` (one row per event), not from the rollups: few events carry energy (a GPU pool's one
 * a minute: sources/otlp/gpu-energy.ts), and a rollup would carry a float column for every other event.
 */
export function compileEnergy(q: Query, d: SqlDialect, raw: string): { sql: string; params: Param[] } {
  const params: Param[] = [];
  const zone = bucketZone(q);
  const keys: string[] = [];
  if (q.bucket !== undefined) {
    keys.push(`${d.bucketStart(q.bucket, 'ts', zone === undefined ? undefined : '?')} AS bucket`);
    // The dialect's SQL holds the zone's placeholder exactly twice.
    if (zone !== undefined) params.push(zone, zone);
  }
  for (const [i, dim] of q.dimensions.entries()) keys.push(`${dimensionSql(dim, d, params)} AS d${i}`);
  const where = [
    'energy_j IS NOT NULL',
    rangeSql('ts', { from: q.since, to: q.until }, d, params),
    ...filtersSql(q.filters, d, params),
  ];
  const groupBy = keys.length > 0 ? ` GROUP BY ${keys.map((_, i) => i + 1).join(', ')}` : '';
  return {
    // The sum's alias is not the column's: ClickHouse reads an alias in WHERE too.
    sql: `SELECT ${[...keys, 'sum(energy_j) AS joules'].join(', ')} FROM ${raw} WHERE ${where.join(' AND ')}${groupBy}`,
    params,
  };
}

/** The rows of compileEnergy's SQL, each an array of its columns in order; `bucketIso` as reportResult's. */
export function energyRows(
  q: Query,
  rows: Iterable<readonly unknown[]>,
  bucketIso: (v: unknown) => string,
): EnergyRow[] {
  const out: EnergyRow[] = [];
  const first = q.bucket === undefined ? 0 : 1;
  for (const r of rows) {
    const joules = r[first + q.dimensions.length];
    // A sum over no rows (a query without keys that found no energy) is one row of NULL.
    if (joules === null || joules === undefined) continue;
    const dims: Record<string, string | null> = {};
    for (const [i, dim] of q.dimensions.entries()) {
      const v = r[first + i];
      dims[dim] = v === null || v === undefined ? null : String(v);
    }
    out.push({
      ...(q.bucket === undefined ? {} : { bucket: bucketIso(r[0]) }),
      dims,
      energy_j: Number(joules),
    });
  }
  return out;
}
