import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { duckdb } from './duckdb-api.js';
import type { RollupRows } from './rollup-delta.js';
import { ROLLUP_TABLES } from './schema.js';
import type { DuckDbSession } from './session.js';

/**
 * Writing rollup rows summed in JS (rollup-delta.ts) into the pending tables. Apart from the summing so that a worker
 * thread that only prepares batches (prepare-batch.ts) does not load DuckDB's driver.
 */

/**
 * Appends `rows` to the pending tables, in the caller's transaction (an appender joins it: a rollback drops them),
 * a data chunk at a time.
 */
export async function appendRollupRows(s: DuckDbSession, rows: RollupRows): Promise<void> {
  for (const [i, t] of ROLLUP_TABLES.entries()) {
    const { rows: count, columns } = rows[i]!;
    if (count === 0) continue;
    const types = t.columns.map(([, type]) => TYPES[type.split(' ')[0]!]!);
    const values = columns.map((v, c): DuckDBValue[] =>
      types[c] === duckdb.TIMESTAMP ? v.map((us) => new duckdb.DuckDBTimestampValue(us as bigint)) : v,
    );
    const appender = await s.conn.createAppender(t.pending, 'main', 'temp');
    try {
      for (let start = 0; start < count; start += CHUNK) {
        const end = Math.min(count, start + CHUNK);
        const chunk = duckdb.DuckDBDataChunk.create(types, end - start);
        for (const [c, v] of values.entries()) chunk.setColumnValues(c, v.slice(start, end));
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK = 2048;
const TYPES: Record<string, DuckDBType> = {
  TIMESTAMP: duckdb.TIMESTAMP,
  VARCHAR: duckdb.VARCHAR,
  BIGINT: duckdb.BIGINT,
  HUGEINT: duckdb.HUGEINT,
};
