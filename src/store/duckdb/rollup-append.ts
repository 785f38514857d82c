import type { DuckDBType } from '@duckdb/node-api';
import { duckdb } from './duckdb-api.js';
import type { RollupRows } from './rollup-delta.js';
import { ROLLUP_TABLES } from './schema.js';
import type { DuckDbSession } from './session.js';

/**
 * Writing rollup rows summed in JS (rollup-delta.ts) into the pending tables. Apart from the summing so that a worker
 * thread that only prepares batches (prepare-batch.ts) does not load DuckDB's driver.
 */

/**
 * Inserts `rows` into the pending tables, in the caller's transaction: one INSERT a table, each column bound as one
 * typed list and unnested. Through an appender, each table had cost the calling thread ~4 ms whatever the rows
 * (~1.5 building ~30 vectors, ~2.5 the flush: ~0.3 ms + ~40 µs a column), ~12 ms of every append in one stretch
 * that held a server's calls (bench/RESULTS.md, Gateway, thirty-eighth session); the statement runs on DuckDB's
 * thread, and binding a few short lists takes µs.
 */
export async function appendRollupRows(s: DuckDbSession, rows: RollupRows): Promise<void> {
  for (const [i, { rows: count, columns }] of rows.entries()) {
    if (count === 0) continue;
    await s.run(
      'appending rollup rows',
      INSERTS[i]!,
      columns.map((v) => duckdb.listValue(v)),
      LIST_TYPES[i]!,
    );
  }
}

const TYPES: Record<string, DuckDBType> = {
  VARCHAR: duckdb.VARCHAR,
  BIGINT: duckdb.BIGINT,
  HUGEINT: duckdb.HUGEINT,
};

/** Each column's list type: a TIMESTAMP column comes as epoch µs. */
const LIST_TYPES: readonly (readonly DuckDBType[])[] = ROLLUP_TABLES.map((t) =>
  t.columns.map(([, type]) => {
    const base = type.split(' ')[0]!;
    return duckdb.LIST(base === 'TIMESTAMP' ? duckdb.BIGINT : TYPES[base]!);
  }),
);

const INSERTS: readonly string[] = ROLLUP_TABLES.map((t) => {
  const cols = t.columns.map(([, type], c) =>
    type.startsWith('TIMESTAMP') ? `make_timestamp(c${c})` : `c${c}`,
  );
  const lists = t.columns.map((_, c) => `unnest(?) AS c${c}`);
  return `INSERT INTO ${t.pending} SELECT ${cols.join(', ')} FROM (SELECT ${lists.join(', ')})`;
});
