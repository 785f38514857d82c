import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Pool, request } from 'undici';
import { buildTargets } from './build.js';
import { startUpstream } from './upstream.js';

/**
 * Memory over time (docs/gateway.md, Memory): the benchmark's gateway target (as run.ts starts it, pinned to core 0)
 * fed JSON and streamed calls for SOAK_MINUTES (10), at SOAK_RATE calls/s (1000; 0 runs a closed loop of 64 in
 * flight), each call in one of 3,000 sessions and 500 users when SOAK_SESSIONS=1. Prints the calls so far, the write-
 * ahead log's depth and the target's RSS every SOAK_EVERY seconds (60).
 * Run: `taskset -c 1 node --import tsx bench/gateway/soak.ts`.
 */
const UP = 19700;
const PORT = 19701;
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const rate = Number(process.env.SOAK_RATE ?? 1000);
const every = Number(process.env.SOAK_EVERY ?? 60);
const sessions = process.env.SOAK_SESSIONS === '1';

const built = await buildTargets();
const stopUpstream = await startUpstream(UP);
const target = spawn(
  'taskset',
  ['-c', '0', process.execPath, built.gateway, String(PORT), `http://127.0.0.1:${UP}`, 'after_ack'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise<void>((ready) =>
  target.stdout!.on('data', (d: Buffer) => /ready/.test(String(d)) && ready()),
);
const pool = new Pool(`http://127.0.0.1:${PORT}`, { connections: 64 });
const bodies = [false, true].map((stream) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }], stream }),
);

let calls = 0;
async function call(i: number): Promise<void> {
  const who = sessions
    ? { 'x-tokenledger-session': `s${i % 3000}`, 'x-tokenledger-user': `u${i % 500}` }
    : {};
  const r = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...who },
    body: bodies[i % 2]!,
  });
  for await (const _ of r.body);
  calls++;
}

const rss = () => {
  const status = readFileSync(`/proc/${target.pid}/status`, 'utf8');
  const mb = (k: string) => (Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1]) / 1024).toFixed(0);
  return `RSS ${mb('VmRSS')} MB (anonymous ${mb('RssAnon')}, file ${mb('RssFile')})`;
};
const t0 = performance.now();
// A report still waiting for /healthz when the run ends is awaited before the target stops: killed under it, the
// request's reset had crashed this script at the end of a run.
let reporting: Promise<void> = Promise.resolve();
const report = setInterval(() => {
  reporting = (async () => {
    const h = (await (await request(`http://127.0.0.1:${PORT}/healthz`)).body.json()) as {
      wal_depth: number;
    };
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    console.log(`${s} s: ${calls} calls, wal_depth ${h.wal_depth}, ${rss()}`);
  })();
}, every * 1000);

const until = t0 + minutes * 60_000;
if (rate > 0) {
  // Open loop: each call sent at its scheduled time, whether or not the ones before it have been answered.
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; performance.now() < until; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = call(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
} else
  await Promise.all(
    Array.from({ length: 64 }, async (_, k) => {
      for (let i = k; performance.now() < until; i += 64) await call(i);
    }),
  );
clearInterval(report);
await reporting;
console.log(`end: ${calls} calls, ${rss()}`);
target.kill();
await pool.close();
stopUpstream();
