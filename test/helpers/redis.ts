import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface TestRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  /** Stops the server this helper started; a no-op for CI's shared server. */
  stop(): Promise<void>;
  /** Our own server only (null on CI's shared one): stop it hard and start it again on the same port. */
  restartable: {
    kill(): Promise<void>;
    start(): Promise<void>;
    /** SIGSTOP / SIGCONT: a Redis that accepts packets but never answers (a hang, not a crash). */
    pause(): void;
    resume(): void;
  } | null;
}

const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * A real redis-server for tests. CI (.ci/run) starts one and passes TOKENLEDGER_TEST_REDIS_URL; otherwise we spawn
 * Debian's redis-server on a free port with persistence off, in a temporary directory.
 */
export async function startRedis(opts: { own?: boolean } = {}): Promise<TestRedis> {
  const shared = process.env.TOKENLEDGER_TEST_REDIS_URL;
  if (shared !== undefined && shared !== '' && opts.own !== true)
    return { url: shared, stop: async () => {}, restartable: null };

  const dir = await mkdtemp(join(tmpdir(), 'tl-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const c = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = c;
    let stderr = '';
    c.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const deadline = Date.now() + 5000;
    while (!(await ping(port))) {
      if (c.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not answer PING (exit ${c.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    restartable: {
      kill,
      start,
      pause: () => child?.kill('SIGSTOP'),
      resume: () => child?.kill('SIGCONT'),
    },
  };
}

/** One raw PING over RESP, so the helper needs no client library. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (b) => {
      data += b.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}
