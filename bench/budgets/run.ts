import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { startMeteredProvider } from '../../test/budgets/metered-provider.js';
import { startRedis } from '../../test/helpers/redis.js';
import { writeSection } from '../results-file.js';
import { buildTarget } from './build.js';
import { type TargetResult, table, verdicts } from './report.js';
import { HAS_TASKSET, pinSelf, type ServerChild, startServerChild } from './server-child.js';
import { cpuRun, latencyStats } from './stats.js';

/**
 * Budget-enforcement overhead (issue 6 point 8): the same gateway with budgets off, with in-process counters and with
 * Redis counters (one matching monthly block budget + a per-team rpm/tpm rate limit), each `tokenledger serve` in its
 * own process on core 0 (compiled JavaScript, no TypeScript loader); this process (load generator + fake provider)
 * and redis-server on core 1. Two phases, the targets alternating within each so drift hits all alike:
 * 1. latency: sequential requests (one in flight), the order of the three rotated every round;
 * 2. CPU under load: each target in turn gets a burst of requests, LOAD_CONCURRENCY in flight.
 * Each server reports its own CPU time (process.cpuUsage); the difference in CPU µs per request is the work the check
 * adds, read per block so one block's hiccup (a GC, a store batch) shows as a range rather than a result.
 * Run: `node --import tsx bench/budgets/run.ts`. BENCH_REQUESTS per target and phase (default 5000), BENCH_WARMUP
 * (1000), BENCH_CPU_PROF=DIR writes each server's CPU profile of phase 2 there (BENCH_CPU_PROF_INTERVAL_US: its
 * sampling interval; V8's default is 1000), BENCH_WRITE=0 leaves bench/RESULTS.md alone.
 */
const N = Number(process.env.BENCH_REQUESTS ?? 5000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const BLOCKS = 10;
const LOAD_CONCURRENCY = 8;
const PROF = process.env.BENCH_CPU_PROF;

const pinned = pinSelf(1);
const loadBefore = loadavg()[0]!;
const script = await buildTarget();
const up = await startMeteredProvider();
const redis = await startRedis({ own: true });
const dir = await mkdtemp(join(tmpdir(), 'tl-bench-budgets-'));

const budgets = {
  bench: { scope: { team: 'bench' }, period: 'monthly', limit_usd: 1_000_000, action: 'block' },
};
const rateLimits = [{ per: 'team', rpm: 100_000_000, tpm: 100_000_000_000 }];
// The WAL moves events into DuckDB every 2 s by default (or at 5000 events): a batch costs tens of ms, the same work
// in every target, but where batches fell would decide a block's CPU by far more than 20 µs per request. So the
// timer waits an hour and the runner drains every target at each block boundary, before reading its CPU clock:
// every block then holds the store work of exactly its own requests.
const wal = { drain_interval_ms: 3_600_000 };
const configs: [string, Record<string, unknown>][] = [
  ['off', { wal }],
  ['in-process', { wal, budgets, rate_limits: rateLimits }],
  ['redis', { wal, budgets, rate_limits: rateLimits, counters: { store: 'redis' } }],
];

interface Target {
  name: string;
  child: ServerChild;
  seq: Pool;
  load: Pool;
  lat: number[];
  errors: number;
}
const targets: Target[] = [];
for (const [name, config] of configs) {
  await writeFile(join(dir, `${name}.yaml`), stringify(config));
  const child = await startServerChild({
    script,
    args: [join(dir, `${name}.duckdb`), up.url, join(dir, `${name}.yaml`)],
    core: 0,
    env: { ...process.env, TOKENLEDGER_REDIS_URL: redis.url },
  });
  const seq = new Pool(child.url, { connections: 1 });
  const load = new Pool(child.url, { connections: LOAD_CONCURRENCY });
  targets.push({ name, child, seq, load, lat: [], errors: 0 });
}

const body = JSON.stringify({
  model: 'gpt-4o-mini',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
});
async function once(t: Target, pool: Pool, record: boolean): Promise<void> {
  const t0 = performance.now();
  const r = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-x',
      'x-tokenledger-team': 'bench',
    },
    body,
  });
  if (r.statusCode !== 200) {
    // A refusal here is a failure of the check (e.g. a Redis stall past its 200 ms timeout), not a result: count it.
    if (t.errors++ === 0) process.stderr.write(`${t.name}: HTTP ${r.statusCode} ${await r.body.text()}\n`);
    else await r.body.dump();
    return;
  }
  await r.body.text();
  if (record) t.lat.push((performance.now() - t0) * 1000);
}

async function burst(t: Target, n: number): Promise<void> {
  let left = n;
  const worker = async () => {
    while (left-- > 0) await once(t, t.load, false);
  };
  await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
}

/** A target's CPU clock, read once the work its responses left behind (settles, the store batch) is done. */
async function clock(t: Target): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  await t.child.drain();
  return t.child.cpu();
}

async function clocks(): Promise<number[]> {
  const out: number[] = [];
  for (const t of targets) out.push(await clock(t));
  return out;
}

const perBlock = Math.ceil(N / BLOCKS);
const seqClock: number[][] = [];
const loadClock: number[][] = [];
for (let i = 0; i < WARMUP; i++) for (const t of targets) await once(t, t.seq, false);
for (const t of targets) await burst(t, WARMUP);

// Phase 1: latency, one request in flight.
seqClock.push(await clocks());
for (let b = 0; b < BLOCKS; b++) {
  for (let i = 0; i < perBlock; i++) {
    const k = (b * perBlock + i) % targets.length;
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(k + j) % targets.length]!;
      await once(t, t.seq, true);
    }
  }
  seqClock.push(await clocks());
}

// Phase 2: CPU under load, one target at a time, each block in a rotated order.
if (PROF) for (const t of targets) t.child.send('profile-start');
for (const t of targets) loadClock.push([await clock(t)]);
for (let b = 0; b < BLOCKS; b++)
  for (let j = 0; j < targets.length; j++) {
    const i = (b + j) % targets.length;
    await burst(targets[i]!, perBlock);
    loadClock[i]!.push(await clock(targets[i]!));
  }

if (PROF) for (const t of targets) t.child.send(`profile-stop ${join(PROF, `${t.name}.cpuprofile`)}`);

const results = targets.map(
  (t, i): TargetResult => ({
    name: t.name,
    latency: latencyStats(t.lat),
    seqCpu: cpuRun(
      seqClock.map((c) => c[i]!),
      perBlock,
    ),
    loadCpu: cpuRun(loadClock[i]!, perBlock),
    errors: t.errors,
  }),
) as [TargetResult, TargetResult, TargetResult];
const where =
  pinned && HAS_TASKSET
    ? 'pinned to core 0; the load generator, the fake provider and redis-server share core 1'
    : 'UNPINNED (no taskset): noisier';
const load = `${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`;
const md = `## Budget enforcement overhead (issue 6)
\`node --import tsx bench/budgets/run.ts\` — ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores
(${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, 1-minute load average ${load} (other jobs
shared the machine when it is above ~1: every number here is then inflated, the differences least). Targets: the same \`tokenledger serve\` with
budgets off, with in-process counters and with Redis counters (local redis-server); budgets on = one matching
monthly \`block\` budget + a per-team rpm/tpm rate limit, checked in one atomic reserve (one EVALSHA with Redis)
before forwarding and settled after the response (off the response path); the worst case bounds input tokens by
the request body's bytes with in-process counters far from every limit (the tokenizer is not even loaded) and counts them
with the tokenizer with Redis. Each target is its own process (compiled JavaScript, DuckDB store, WAL fsync off in all three) ${where}.
Latency: ${perBlock * BLOCKS} sequential chat requests per target after ${WARMUP} warm-up, one in flight, the three
alternating. Loaded: ${perBlock * BLOCKS} more per target in bursts of ${perBlock} with ${LOAD_CONCURRENCY} in flight,
the targets taking turns. Server CPU = the process's user + system time (DuckDB's threads included) per request;
"added" = against budgets off over the whole phase, the median of the ${BLOCKS} per-block differences, and their range.

${table(results)}

Goals (issue 6 point 8), against budgets off in the same run:
${verdicts(results)}
`;
process.stdout.write(md);
if (process.env.BENCH_WRITE !== '0') writeSection('budgets', md);
for (const t of targets) {
  await t.seq.close();
  await t.load.close();
  await t.child.stop();
}
await up.close();
await redis.stop();
await rm(dir, { recursive: true, force: true });
