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

/**
 * Calls an API path on the running server as its admin: a GET, or a POST of `body` as JSON. API errors come back as
 * the same one-line error.
 */
export async function callApi<T>(server: ServerFile, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.admin_token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new TokenledgerError(
      'CLI_SERVER_UNREACHABLE',
      `the server for this ledger (${server.url}, pid ${server.pid}) does not answer (${(e as Error).message}); stop it or wait until it is up`,
    );
  }
  const answer = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok)
    throw new TokenledgerError(
      answer.error?.code ?? 'CLI_SERVER_ERROR',
      answer.error?.message ?? `HTTP ${res.status}`,
    );
  return answer;
}
