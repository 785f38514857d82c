import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { TokenledgerError } from '../errors.js';
import { type ServerFile, serverFilePath } from '../server/server-file.js';

/**
 * The server running on this ledger, if any (ARCHITECTURE.md, Processes): the DuckDB file has one writer, so while
 * `serve` runs, commands that need the store ask it over the HTTP API. A server file left by a crash is ignored:
 * its process is gone, or (its pid taken by another process since) nothing listens at its address. The server
 * writes the file once it listens.
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
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return (await refused(info.url)) ? null : info;
}

/** Whether a TCP connection to the URL's address is refused: nobody listens there. Anything else is not proof. */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(false));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
  });
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
