import type { Server } from 'node:http';
import { TokenledgerError } from '../errors.js';

/**
 * Listens on host:port, or fails with an error that says what to change: a port in use (another `tokenledger
 * serve`, or another program), one the process may not bind, or a host that is not this machine's. `flag` is the
 * option that sets the port (`--port`, `--otlp-port`), `free` what its 0 means.
 */
export function listen(
  server: Server,
  port: number,
  host: string,
  flag: string,
  free: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, host, port, flag, free)));
    server.listen(port, host, () => resolve());
  });
}

/** SERVE_LISTEN_FAILED with what to change for the errors a user can fix (the socket's error as its cause); else `e`. */
export function listenError(
  e: NodeJS.ErrnoException,
  host: string,
  port: number,
  flag: string,
  free: string,
): Error {
  const where = `${host}:${port}`;
  const why: Record<string, string> = {
    EADDRINUSE: `${where} is in use (another tokenledger serve, or another program): pass ${flag} N (${flag} 0 ${free})`,
    EACCES: `${where}: this user may not listen there (ports below 1024 need privileges): pass ${flag} N`,
    EADDRNOTAVAIL: `--host ${host} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own`,
  };
  const message = e.code === undefined ? undefined : why[e.code];
  return message === undefined ? e : new TokenledgerError('SERVE_LISTEN_FAILED', message, { cause: e });
}

/** Whether `e` is listen's (or listenError's) refusal of a port already in use. */
export function portInUse(e: unknown): boolean {
  return (
    e instanceof TokenledgerError &&
    e.code === 'SERVE_LISTEN_FAILED' &&
    (e.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE'
  );
}
