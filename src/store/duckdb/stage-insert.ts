import type { DuckDBAppender } from '@duckdb/node-api';
import type { DuckDbSession } from './session.js';

/** How a value is staged: text, 64-bit integer, 128-bit integer, double, boolean, or epoch µs turned into TIMESTAMP. */
export type StageType = 'text' | 'bigint' | 'hugeint' | 'double' | 'bool' | 'timestamp';
export type StageValue = string | number | bigint | boolean | null;

const SQL_TYPE: Record<StageType, string> = {
  text: 'VARCHAR',
  bigint: 'BIGINT',
  hugeint: 'HUGEINT',
  double: 'DOUBLE',
  bool: 'BOOLEAN',
  timestamp: 'BIGINT',
};

/**
 * Inserts rows into `table` (columns in table order) through DuckDB's appender and a temp table, then one
 * `INSERT OR <conflict> … SELECT`. Binding rows as `VALUES (?, …), …` instead cost ~0.2 ms and ~17 KB per row
 * (5,000 cost records: 1 s and 86 MB). Returns the rows the table took.
 */
export async function stageInsert(
  s: DuckDbSession,
  what: string,
  table: string,
  types: readonly StageType[],
  rows: readonly (readonly StageValue[])[],
  conflict: 'IGNORE' | 'REPLACE',
): Promise<number> {
  const stage = `${table}_stage`;
  const cols = types.map((t, i) => `c${i} ${SQL_TYPE[t]}`).join(', ');
  await s.run(what, `CREATE OR REPLACE TEMP TABLE ${stage} (${cols})`);
  const a = await s.conn.createAppender(stage, 'main', 'temp');
  try {
    for (const row of rows) {
      for (const [i, t] of types.entries()) append(a, t, row[i] ?? null);
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
  const select = types.map((t, i) => (t === 'timestamp' ? `make_timestamp(c${i})` : `c${i}`)).join(', ');
  try {
    return await s.transaction(what, () =>
      s.run(what, `INSERT OR ${conflict} INTO ${table} SELECT ${select} FROM ${stage}`),
    );
  } finally {
    await s.run(what, `DROP TABLE IF EXISTS ${stage}`);
  }
}

function append(a: DuckDBAppender, t: StageType, v: StageValue): void {
  if (v === null) a.appendNull();
  else if (t === 'text') a.appendVarchar(String(v));
  else if (t === 'bigint' || t === 'timestamp') a.appendBigInt(BigInt(v));
  else if (t === 'hugeint') a.appendHugeInt(BigInt(v));
  else if (t === 'double') a.appendDouble(Number(v));
  else if (t === 'bool') a.appendBoolean(v === true);
  else t satisfies never;
}
