import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckdb } from '../duckdb/duckdb-api.js';

/** A path for a new ledger file, in a temp folder of its own (`prefix` names the folder). */
export const freshLedgerPath = (prefix: string): string =>
  join(mkdtempSync(join(tmpdir(), prefix)), 'ledger.duckdb');

/**
 * Runs `statements` on a closed ledger file through DuckDB alone, as someone opening the file would, and returns the
 * rows of the last one.
 */
export async function sql(path: string, ...statements: string[]): Promise<unknown[][]> {
  const db = await duckdb.DuckDBInstance.create(path);
  const c = await db.connect();
  let last: unknown[][] = [];
  try {
    for (const s of statements) last = (await c.runAndReadAll(s)).getRows();
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return last;
}
