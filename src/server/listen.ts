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
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const why: Record<string, string> = {
        EADDRINUSE: `${where} is in use (another tokenledger serve, or another program): pass ${flag} N (${flag} 0 ${free})`,
        EACCES: `${where}: this user may not listen there (ports below 1024 need privileges): pass ${flag} N`,
        EADDRNOTAVAIL: `--host ${host} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own`,
      };
      const message = e.code === undefined ? undefined : why[e.code];
      reject(message === undefined ? e : new TokenledgerError('SERVE_LISTEN_FAILED', message, { cause: e }));
    });
    server.listen(port, host, () => resolve());
  });
}
