import type { DuckDBAppender, DuckDBType } from '@duckdb/node-api';
import { duckdb } from './duckdb-api.js';
import { q, STORED_EVENT_COLUMNS } from './schema.js';
import { type Kind, SQL_TYPE_OF, STORED, type StageColumn } from './stage-columns.js';
import type { BatchConstants, EncodedBatch } from './stage-encode.js';

export type { BatchConstants, EncodedBatch } from './stage-encode.js';

/**
 * Moving an encoded batch (stage-encode.ts) into DuckDB through data chunks, and the SQL that decodes it. The staging
 * table is recreated per batch with only the columns that vary in it; setting strings and null bits value by value
 * had made staging ~5x slower, so strings go once each into a dictionary table. One INSERT … SELECT then decodes into
 * the stored types.
 */

const { BIGINT, DOUBLE, DuckDBDataChunk, INTEGER, UINTEGER, VARCHAR } = duckdb;

export const STAGE_TABLE = 'stage';
export const STAGE_DICT_TABLE = 'stage_dict';

/** Recreated for every batch: cheaper than deleting, row ids restart, and the columns follow the batch. */
export function stageTablesSql(staged: readonly StageColumn[]): string[] {
  return [
    `CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} (${staged.map((c) => `${q(c.name)} ${SQL_TYPE_OF[c.kind]}`).join(', ')})`,
    `CREATE OR REPLACE TEMP TABLE ${STAGE_DICT_TABLE} (code INTEGER, s VARCHAR)`,
  ];
}

/** `FROM` clause giving staged rows as `s` and the batch dictionary as the list `d.l` (code 0 → NULL). */
export const DICT_LIST = `(SELECT list(s ORDER BY code) AS l FROM ${STAGE_DICT_TABLE})`;

const CHUNK = 2048;

const TYPE_OF: Record<Kind, DuckDBType> = {
  u32: UINTEGER,
  i32: INTEGER,
  code: INTEGER,
  i64: BIGINT,
  f64: DOUBLE,
};

/**
 * Appends the batch's `staged` columns (stagedColumns, as the staging table was made), chunk by chunk, copying each
 * typed array slice whole.
 */
export function writeStageRows(stage: DuckDBAppender, b: EncodedBatch, staged: readonly StageColumn[]): void {
  const types = staged.map((c) => TYPE_OF[c.kind]);
  for (let start = 0; start < b.rows; start += CHUNK) {
    const n = Math.min(CHUNK, b.rows - start);
    const chunk = DuckDBDataChunk.create(types, n);
    staged.forEach((col, ci) => {
      // Numeric vectors expose their typed array; writing it directly skips a per-value validity check (every
      // staged value is non-null by construction).
      const vector = chunk.getColumnVector(ci) as unknown as {
        items: { set(a: ArrayLike<number | bigint>): void };
        flush(): void;
      };
      const a = b.arrays.get(col.name)!;
      vector.items.set(a.subarray(start, start + n) as ArrayLike<number>);
      vector.flush();
    });
    stage.appendDataChunk(chunk);
  }
  stage.flushSync();
}

/** Appends the batch's dictionary: code c (from 1) and strings[c - 1]. */
export function writeDictionary(dict: DuckDBAppender, b: EncodedBatch): void {
  for (let start = 0; start < b.strings.length; start += CHUNK) {
    const n = Math.min(CHUNK, b.strings.length - start);
    const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR], n);
    chunk.setColumnValues(
      0,
      Array.from({ length: n }, (_, i) => start + i + 1),
    );
    chunk.setColumnValues(1, b.strings.slice(start, start + n));
    dict.appendDataChunk(chunk);
  }
  dict.flushSync();
}

/** The stored value of staged column `c` in row `s` (or `alias`), and the parameters it binds. */
function valueSql(c: StageColumn, constants: BatchConstants, params: string[], alias = 's'): string {
  if (c.kind === 'code' && constants.has(c.name)) {
    const v = constants.get(c.name);
    if (v === null || v === undefined)
      return `NULL::${c.castTo === 'VARCHAR' ? 'VARCHAR' : c.castTo!.replace('JSON::', '')}`;
    params.push(v);
    return `?::VARCHAR::${c.castTo}`;
  }
  return alias === 's' ? c.load : c.load.replaceAll('s.', `${alias}.`);
}

/** Staged column name standing for the stored column `name` (event_id is staged as id_hi and id_lo). */
const stagedName = (name: string) => (name === 'event_id' ? 'id_hi' : name);

/**
 * SELECT list that turns staged rows (`s`, `d`) into the events table's stored columns, in its order; `m.ids` is the
 * list of context ids by batch context number (append.ts).
 */
export function stageLoadSql(constants: BatchConstants): { sql: string; params: string[] } {
  const params: string[] = [];
  const sql = STORED_EVENT_COLUMNS.map(([n]) => {
    if (n === 'context_id') return 'm.ids[s.ctx] AS context_id';
    return `${valueSql(STORED.find((c) => c.name === stagedName(n))!, constants, params)} AS ${q(n)}`;
  }).join(', ');
  return { sql, params };
}

/** The stored value of `column` decoded from a staged (or grouped, `alias`) row. */
export function stageValueSql(
  column: string,
  constants: BatchConstants,
  params: string[],
  alias = 's',
): string {
  const c = STORED.find((x) => x.name === column);
  if (!c) throw new Error(`no staged column ${column}`);
  return valueSql(c, constants, params, alias);
}
