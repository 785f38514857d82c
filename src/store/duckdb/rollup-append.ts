import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { nextTurn } from '../../next-turn.js';
import { duckdb } from './duckdb-api.js';
import type { PendingRows, RollupRows } from './rollup-delta.js';
import { ROLLUP_TABLES } from './schema.js';
import type { DuckDbSession } from './session.js';

/**
 * Writing rollup rows summed in JS (rollup-delta.ts) into the pending tables. Apart from the summing so that a worker
 * thread that only prepares batches (prepare-batch.ts) does not load DuckDB's driver.
 */

/**
 * Writes `rows` to the pending tables, in the caller's transaction (a rollback drops them). Two ways, by what a table
 * costs the calling thread, which also answers a server's calls:
 * - an appender costs ~4 ms whatever the rows (~1.5 building ~30 vectors, ~2.5 the flush: ~0.3 ms + ~40 µs a
 *   column), then little a row;
 * - one INSERT of each column bound as a typed list and unnested runs on DuckDB's thread, but binding costs this one
 *   ~1.7 µs a value.
 * A server's append mostly holds a few rows a table (one team, one model, a few sessions): through appenders, ~12 ms
 * of every append in one stretch, which held the slowest calls at 500/s (bench/HISTORY.md, Gateway,
 * thirty-eighth session). Thousands of sessions in an append (`store-append.ts` with SESSIONS=3000) made the lists
 * cost 61 → 104 µs an event: past LIST_ROWS rows a table goes by appender.
 */
export async function appendRollupRows(s: DuckDbSession, rows: RollupRows): Promise<void> {
  for (const [i, t] of ROLLUP_TABLES.entries()) {
    const r = rows[i]!;
    if (r.rows === 0) continue;
    if (r.rows <= LIST_ROWS) {
      await s.run(
        'appending rollup rows',
        INSERTS[i]!,
        r.columns.map((v) => duckdb.listValue(v)),
        LIST_TYPES[i]!,
      );
    } else {
      await appendByChunks(s, t.pending, COLUMN_TYPES[i]!, r);
      // Requests get the thread before the next table's.
      await nextTurn();
    }
  }
}

/** Rows a table takes by lists (~1.5 ms of binding at ~30 columns); more go by appender. */
export const LIST_ROWS = 32;

/** Appends one table's rows a data chunk at a time; the appender joins the caller's transaction. */
async function appendByChunks(
  s: DuckDbSession,
  table: string,
  types: readonly DuckDBType[],
  rows: PendingRows,
): Promise<void> {
  const values = rows.columns.map((v, c): DuckDBValue[] =>
    types[c] === duckdb.TIMESTAMP ? v.map((us) => new duckdb.DuckDBTimestampValue(us as bigint)) : v,
  );
  const appender = await s.conn.createAppender(table, 'main', 'temp');
  try {
    for (let start = 0; start < rows.rows; start += CHUNK) {
      const end = Math.min(rows.rows, start + CHUNK);
      const chunk = duckdb.DuckDBDataChunk.create(types, end - start);
      for (const [c, v] of values.entries()) chunk.setColumnValues(c, v.slice(start, end));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
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

/** Each rollup table's column types, in ROLLUP_TABLES order. */
const COLUMN_TYPES: readonly (readonly DuckDBType[])[] = ROLLUP_TABLES.map((t) =>
  t.columns.map(([, type]) => TYPES[type.split(' ')[0]!]!),
);

/** Each column's list type: a TIMESTAMP column comes as epoch µs. */
const LIST_TYPES: readonly (readonly DuckDBType[])[] = COLUMN_TYPES.map((types) =>
  types.map((t) => duckdb.LIST(t === duckdb.TIMESTAMP ? duckdb.BIGINT : t)),
);

const INSERTS: readonly string[] = ROLLUP_TABLES.map((t, i) => {
  const cols = COLUMN_TYPES[i]!.map((type, c) =>
    type === duckdb.TIMESTAMP ? `make_timestamp(c${c})` : `c${c}`,
  );
  const lists = t.columns.map((_, c) => `unnest(?) AS c${c}`);
  return `INSERT INTO ${t.pending} SELECT ${cols.join(', ')} FROM (SELECT ${lists.join(', ')})`;
});
