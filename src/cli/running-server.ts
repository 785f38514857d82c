import { readFile } from 'node:fs/promises';
import { TokenledgerError } from '../errors.js';
import { type ServerFile, serverFilePath } from '../server/server-file.js';

/**
 * The server running on this ledger, if any (ARCHITECTURE.md, Processes): the DuckDB file has one writer, so while
 * `serve` runs, commands that need the store ask it over the HTTP API. A server file whose process is gone (a crash)
 * is ignored.
 */
export async function runningServer(ledgerPath: string): Promise<ServerFile | null> {
  let info: ServerFile;
  try {
    info = JSON.parse(await readFile(serverFilePath(ledgerPath), 'utf8')) as ServerFile;
  } catch {
    return null;
  }
  try {
    process.kill(info.pid, 0);
    return info;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? info : null;
  }
}

/** GET an API path from the running server as its admin; API errors come back as the same one-line error. */
export async function apiGet<T>(server: ServerFile, path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.admin_token}` } });
  } catch (e) {
    throw new TokenledgerError(
      'CLI_SERVER_UNREACHABLE',
      `the server for this ledger (${server.url}, pid ${server.pid}) does not answer (${(e as Error).message}); stop it or wait until it is up`,
    );
  }
  const body = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok)
    throw new TokenledgerError(
      body.error?.code ?? 'CLI_SERVER_ERROR',
      body.error?.message ?? `HTTP ${res.status}`,
    );
  return body;
}
