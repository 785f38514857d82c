import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eventId } from '../../src/ledger/event-id.js';
import { loadPricer } from '../../src/pricing/load.js';
import { unpricedEvent } from '../../src/pricing/unpriced-event.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/**
 * What the gateway's store drain costs per event, by batch size: process CPU (every thread: DuckDB's included) per
 * event, and the longest event-loop stall an append causes (what shows in the gateway's p99). Same store settings as
 * the benchmark's gateway (one DuckDB thread, 64MB). `[BATCHES=1000,5000,20000] [SESSIONS=3000] node --import tsx bench/gateway/store-append.ts [events]`.
 */
const total = Number(process.argv[2] ?? 40000);
/** SESSIONS=N spreads the calls over N sessions, N/6 people and 20 teams (the default: one attribution for all). */
const SESSIONS = Number(process.env.SESSIONS ?? 0);
const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
let n = 0;
const now = Date.now() * 1000;
const make = () => {
  const id = randomUUID();
  return pricer.price(
    unpricedEvent({
      event_id: eventId('gateway', id),
      source: 'gateway',
      source_ref: id,
      provider: 'openai',
      model: 'gpt-4o-mini',
      model_requested: 'gpt-4o-mini',
      operation: 'chat',
      ts: now + n++,
      ingested_at: now + n,
      duration_ms: 1,
      input_tokens: 120,
      output_tokens: 40,
      tags: {},
      ...(SESSIONS > 0
        ? { session_id: `s${n % SESSIONS}`, user: `u${n % Math.ceil(SESSIONS / 6)}`, team: `t${n % 20}` }
        : {}),
    }),
  );
};
for (const batch of (process.env.BATCHES ?? '1000,5000,20000').split(',').map(Number)) {
  const store = await createDuckDbStore(join(mkdtempSync(join(tmpdir(), 'tl-sa-')), 'l.duckdb'), {
    threads: 1,
    memoryLimit: '64MB',
  });
  await store.append(Array.from({ length: 100 }, make));
  const batches = Array.from({ length: Math.ceil(total / batch) }, () => Array.from({ length: batch }, make));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) {
    await store.append(b);
    await new Promise((r) => setTimeout(r, 5));
  }
  const cpu = process.cpuUsage(c0);
  const wall = performance.now() - t0 - batches.length * 5;
  h.disable();
  const ev = batches.length * batch;
  console.log(
    `batch ${batch}: ${((cpu.user + cpu.system) / ev).toFixed(1)} µs CPU/event (user ${(cpu.user / ev).toFixed(1)}, system ${(cpu.system / ev).toFixed(1)}), ${((wall * 1000) / ev).toFixed(1)} µs wall/event, longest loop stall ${(h.max / 1e6).toFixed(0)} ms, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
  );
  await store.close();
}
