import type { EnergyRow, Query } from '../query.js';
import { filtersSql, type Param, rangeSql } from './compile-query.js';
import type { SqlDialect } from './dialect.js';
import { afterGroup, groupKeys, groupOf } from './group-keys.js';

/**
 * Store.energy's SQL: Σ `energy_j` of the events in the query's range and filters that have one, by its bucket and
 * dimensions. Read from `raw` (one row per event), not from the rollups: few events carry energy (a GPU pool's one
 * a minute: sources/otlp/gpu-energy.ts), and a rollup would carry a float column for every other event.
 */
export function compileEnergy(q: Query, d: SqlDialect, raw: string): { sql: string; params: Param[] } {
  const params: Param[] = [];
  const { keys, names } = groupKeys(q, d, params);
  const where = [
    'energy_j IS NOT NULL',
    rangeSql('ts', { from: q.since, to: q.until }, d, params),
    ...filtersSql(q.filters, d, params),
  ];
  const groupBy = names.length > 0 ? ` GROUP BY ${names.map((_, i) => i + 1).join(', ')}` : '';
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
  const at = afterGroup(q);
  for (const r of rows) {
    const joules = r[at];
    // A sum over no rows (a query without keys that found no energy) is one row of NULL.
    if (joules === null || joules === undefined) continue;
    out.push({ ...groupOf(q, r, bucketIso), energy_j: Number(joules) });
  }
  return out;
}
