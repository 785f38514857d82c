import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TokenledgerError } from './errors.js';

/**
 * Small JSON files of hashed secrets beside the ledger (`<ledger>.keys.json`, `<ledger>.tokens.json`): mode 0600,
 * `{"version": 1, "<field>": […]}`. Both the server and CLI commands may change them while the other runs, so writes
 * go to a temporary file renamed into place and a reader never sees half a file.
 */
export interface SecretFileErrors {
  /** Error code and noun for an unreadable file, e.g. GW_KEYS_READ, "virtual keys". */
  read: [code: string, what: string];
  /** Error code and the advice for a file that is not ours. */
  corrupt: [code: string, advice: string];
}

export async function readSecretFile<T>(path: string, field: string, errors: SecretFileErrors): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TokenledgerError(
      errors.read[0],
      `${path}: cannot read the ${errors.read[1]} (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  try {
    const file = JSON.parse(text) as { version: number } & Record<string, unknown>;
    const records = file[field];
    if (file.version !== 1 || !Array.isArray(records))
      throw new Error(`expected {"version":1,"${field}":[…]}`);
    return records as T[];
  } catch (e) {
    throw new TokenledgerError(errors.corrupt[0], `${path}: ${errors.corrupt[1]} (${(e as Error).message})`, {
      cause: e,
    });
  }
}

export async function writeSecretFile(
  path: string,
  field: string,
  records: readonly unknown[],
): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  // Keys, tokens and budgets are often set up before anything fills a ledger, so its folder may not exist yet.
  await mkdir(dirname(path), { recursive: true });
  await writeFile(tmp, `${JSON.stringify({ version: 1, [field]: records }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/**
 * Changes whenever the file is rewritten: writes rename a new file into place, so the inode changes even when two
 * writes land within the file system's timestamp granularity. "" when the file is missing.
 */
export async function fileSignature(path: string): Promise<string> {
  try {
    const st = await stat(path);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return '';
  }
}
