import { readSecretFile, writeSecretFile } from '../../secret-file.js';
import type { VirtualKeyRecord } from './virtual-key.js';

/**
 * Virtual keys live in `<ledger>.keys.json` beside the ledger, mode 0600: a small file that both the server and the
 * `keys` commands may change while the other runs (the DuckDB file has a single writer; this file does not need
 * one). Writes go to a temporary file and are renamed into place, so a reader never sees half a file.
 */
export function keyFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.keys.json`;
}

export function readKeys(path: string): Promise<VirtualKeyRecord[]> {
  return readSecretFile<VirtualKeyRecord>(path, 'keys', {
    read: ['GW_KEYS_READ', 'virtual keys'],
    corrupt: ['GW_KEYS_CORRUPT', 'not a virtual keys file; restore it from a backup or move it away'],
  });
}

export function writeKeys(path: string, keys: readonly VirtualKeyRecord[]): Promise<void> {
  return writeSecretFile(path, 'keys', keys);
}
