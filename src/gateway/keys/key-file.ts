import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { TokenledgerError } from '../../errors.js';
import type { VirtualKeyRecord } from './virtual-key.js';

/**
 * Virtual keys live in `<ledger>.keys.json` beside the ledger, mode 0600: a small file that both the server and the
 * `keys` commands may change while the other runs (the DuckDB file has a single writer; this file does not need
 * one). Writes go to a temporary file and are renamed into place, so a reader never sees half a file.
 */
export function keyFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.keys.json`;
}

interface KeyFile {
  version: 1;
  keys: VirtualKeyRecord[];
}

export async function readKeys(path: string): Promise<VirtualKeyRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TokenledgerError(
      'GW_KEYS_READ',
      `${path}: cannot read the virtual keys (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  try {
    const file = JSON.parse(text) as KeyFile;
    if (file.version !== 1 || !Array.isArray(file.keys)) throw new Error('expected {"version":1,"keys":[…]}');
    return file.keys;
  } catch (e) {
    throw new TokenledgerError(
      'GW_KEYS_CORRUPT',
      `${path}: not a virtual keys file (${(e as Error).message}); restore it from a backup or move it away`,
      { cause: e },
    );
  }
}

export async function writeKeys(path: string, keys: readonly VirtualKeyRecord[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Modification time in ms, or 0 when the file is missing (so the server notices keys created after it started). */
export async function keysMtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}
