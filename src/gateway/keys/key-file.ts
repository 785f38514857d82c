import type { FileRecordKind } from '../../records/record-set.js';

/**
 * Virtual keys beside a DuckDB ledger live in `<ledger>.keys.json`, mode 0600: a small file that both the server and
 * the `keys` commands may change while the other runs (the DuckDB file has a single writer; this file does not need
 * one). In a ClickHouse ledger they are rows of its database (server/ledger-records.ts).
 */
export function keyFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.keys.json`;
}

export const KEY_RECORDS: FileRecordKind = {
  name: 'keys',
  read: ['GW_KEYS_READ', 'virtual keys'],
  corrupt: ['GW_KEYS_CORRUPT', 'not a virtual keys file; restore it from a backup or move it away'],
};
