import { TokenledgerError } from '../errors.js';

/**
 * The store's error catalog. Codes are stable and documented in docs/store.md; never reuse one for a different
 * meaning. Messages say what is wrong, where, and what to do.
 */
const STORE_ERRORS = {
  STORE_OPEN_FAILED: 'the ledger file could not be opened or created',
  STORE_SCHEMA_VERSION: 'the ledger file was written by a newer tokenledger',
  STORE_NOT_A_LEDGER: 'a command that reads a ledger was given a DuckDB database without one',
  STORE_SQL_FAILED: 'the database refused a statement',
  STORE_BAD_EVENT: 'an event cannot be stored as given',
  STORE_BAD_QUERY: 'a query names something the query model does not have',
  STORE_RAW_RETIRED:
    'a read needs single calls from before the raw horizon, which are kept only as daily sums',
  STORE_EXPORT_FAILED: 'an export could not be written',
  STORE_CLOSED: 'the store was used after close()',
} as const;
export type StoreErrorCode = keyof typeof STORE_ERRORS;

export function storeError(code: StoreErrorCode, message: string, cause?: unknown): TokenledgerError {
  return new TokenledgerError(code, message, cause === undefined ? undefined : { cause });
}

export function exportFailed(path: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return storeError(
    'STORE_EXPORT_FAILED',
    `cannot write ${path}: ${reason}. Check the folder exists and is writable.`,
    err,
  );
}
