import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELPER_NICE } from '../../src/server/thread-priority.js';

/** Each thread's nice value (field 19 of /proc/PID/task/TID/stat). */
function niceByThread(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    out.set(Number(t), Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]));
  }
  return out;
}

describe.runIf(existsSync('/proc/thread-self'))('the serving thread comes first', () => {
  it("runs every other thread of `serve` (libuv's pool, DuckDB's, V8's helpers) at a lower priority", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-prio-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '../helpers/serve-child.ts'),
        join(dir, 'ledger.duckdb'),
        'http://127.0.0.1:9',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(String(d).trim()));
        child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const nice = niceByThread(child.pid!);
      expect(nice.get(child.pid!)).toBe(0); // the main thread answers requests
      const others = [...nice].filter(([tid]) => tid !== child.pid).map(([, n]) => n);
      expect(others.length).toBeGreaterThan(4); // V8's helpers, libuv's pool, DuckDB's threads
      expect(others.every((n) => n === HELPER_NICE)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
