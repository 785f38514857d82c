import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { buildTargets } from './build.js';
import { startUpstream } from './upstream.js';

/**
 * Quick CPU-per-request check while working on the gateway (the full run.ts takes ~15 minutes): the bare proxy and
 * tokenledger (default WAL sync) under the same closed loop, CPU = the target's utime+stime over the loop plus the store
 * drain after it. `PROFILE=<variant>` also writes a V8 CPU profile of that variant (node --cpu-prof) and prints where its
 * time went (bench/gateway/profile-report.ts). Run: `taskset -c 1 node --import tsx bench/gateway/cpu.ts [json|stream]`.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const stream = process.argv[2] === 'stream';
const UP = 19200;

function start(args: string[], node: string[] = [], env: Record<string, string> = {}): Promise<ChildProcess> {
  const proc = spawn('taskset', ['-c', '0', process.execPath, ...node, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve) =>
    proc.stdout!.on('data', (d: Buffer) => /ready/.test(String(d)) && resolve(proc)),
  );
}

function childPid(p: ChildProcess): number {
  try {
    return (
      Number(readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim().split(' ')[0]) || p.pid!
    );
  } catch {
    return p.pid!;
  }
}
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
/** CPU ms of the main thread and of all others (libuv pool, V8 workers, DuckDB's threads: all named "node"). */
function threadsMs(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = t === String(pid) ? 'main' : 'other';
      const f = s.slice(s.lastIndexOf(') ') + 2).split(' ');
      m.set(name, (m.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * 10);
    } catch {}
  }
  return m;
}
/** Read and write system calls so far (sockets, the log's writes): a call that saves one saves ~15-40 µs here. */
function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return { reads: Number(/syscr: (\d+)/.exec(io)?.[1]), writes: Number(/syscw: (\d+)/.exec(io)?.[1]) };
}
function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  stream,
});

async function one(pool: Pool): Promise<void> {
  const r = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: BODY,
  });
  for await (const _ of r.body);
}

async function drained(port: number): Promise<void> {
  for (;;) {
    const r = await request(`http://127.0.0.1:${port}/healthz`);
    const h = (await r.body.json()) as { wal_depth: number };
    if (h.wal_depth === 0) return;
    await new Promise((d) => setTimeout(d, 50));
  }
}

async function closed(pool: Pool, pid: number, ledger: number | null): Promise<[number, number, string]> {
  const c0 = cpuMs(pid);
  const t0 = threadsMs(pid);
  const s0 = syscalls(pid);
  let n = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < until) {
        await one(pool);
        n++;
      }
    }),
  );
  if (ledger !== null) await drained(ledger);
  const per = [...threadsMs(pid)]
    .map(([k, v]) => [k, ((v - (t0.get(k) ?? 0)) * 1000) / n] as const)
    .filter(([, v]) => v >= 1)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
  const s1 = syscalls(pid);
  const calls = `reads ${((s1.reads - s0.reads) / n).toFixed(2)}, writes ${((s1.writes - s0.writes) / n).toFixed(2)}`;
  return [n / SECONDS, ((cpuMs(pid) - c0) * 1000) / n, `${per}; ${calls}`];
}

const built = await buildTargets();
// BASE=DIR (a copy of the repository's src/ and bench/gateway/ under bench/.work, e.g. from `git archive HEAD`):
// the "base" variant runs that build, so a change is compared with what it replaces in the same run.
const base = process.env.BASE ? await buildTargets(process.env.BASE, join(process.env.BASE, '.gw-js')) : null;
const stop = await startUpstream(UP);
const origin = `http://127.0.0.1:${UP}`;
const profDir = mkdtempSync(join(tmpdir(), 'tl-prof-'));
/**
 * VARIANTS: bare, bared (the bare proxy on undici's dispatch API: bare-dispatch-proxy.ts), tl (WAL synced after the
 * ack, the default), tlack (synced before it), nosync (never synced), nostore (as tl, the store's append a no-op),
 * base (BASE's tl), cached (as tl with the response cache on: every call of the loop, the same request, is a hit
 * after the first).
 */
const WAL_SYNC_OF: Record<string, string> = { tlack: 'before_ack', nosync: 'off' };
const variants = (process.env.VARIANTS ?? 'bare,tl').split(',');
const targets: { name: string; port: number; proc: ChildProcess; ledger: boolean }[] = [];
const cacheConfig = join(profDir, 'cache.config.yaml');
writeFileSync(cacheConfig, 'cache: {}\n');
for (const [i, v] of variants.entries()) {
  const port = 19201 + i;
  const prof = process.env.PROFILE === v ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const proc =
    v === 'bare' || v === 'bared'
      ? await start([v === 'bare' ? built.bareProxy : built.bareDispatchProxy, String(port), origin], prof)
      : await start(
          [(v === 'base' ? base! : built).gateway, String(port), origin, WAL_SYNC_OF[v] ?? 'after_ack'],
          prof,
          v === 'nostore'
            ? { TL_BENCH_STORE: 'none' }
            : v === 'cached'
              ? { TL_BENCH_CONFIG: cacheConfig }
              : {},
        );
  targets.push({ name: v, port, proc, ledger: !v.startsWith('bare') });
}
const pools = targets.map((t) => new Pool(`http://127.0.0.1:${t.port}`, { connections: 256 }));
for (const p of pools)
  for (let i = 0; i < 60; i++) await Promise.all(Array.from({ length: 50 }, () => one(p)));
let served = 3000;
for (let r = 0; r < ROUNDS; r++) {
  const out: string[] = [];
  for (const [i, t] of targets.entries()) {
    const [rps, cpu, per] = await closed(pools[i]!, childPid(t.proc), t.ledger ? t.port : null);
    if (t.name === process.env.PROFILE) served += rps * SECONDS;
    out.push(
      `${t.name} ${rps.toFixed(0)} req/s ${cpu.toFixed(0)} µs/req {${per}} ${rssMb(childPid(t.proc)).toFixed(0)} MB`,
    );
  }
  console.log(
    `${stream ? 'stream' : 'json'} round ${r} (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}): ${out.join(' | ')}`,
  );
}
for (const p of pools) await p.close();
for (const t of targets) {
  if (process.env.PROFILE === t.name) {
    process.kill(childPid(t.proc), 'SIGTERM');
    await new Promise((r) => t.proc.on('exit', r));
    console.log(`profile: node --import tsx bench/gateway/profile-report.ts ${profDir} ${served.toFixed(0)}`);
  } else t.proc.kill('SIGKILL');
}
stop();
process.exit(0);
