import { chmod, rm, writeFile } from 'node:fs/promises';

/**
 * While `tokenledger serve` runs on a ledger it leaves `<ledger>.server.json` beside it (mode 0600): its URL and
 * admin token, so CLI commands on the same ledger talk to it instead of opening the DuckDB file, which has one
 * writer (ARCHITECTURE.md, Processes).
 */
export function serverFilePath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.server.json`;
}

export interface ServerFile {
  url: string;
  pid: number;
  admin_token: string;
  started_at: string;
}

export async function writeServerFile(path: string, info: ServerFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function removeServerFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
