/**
 * Latency of the dashboard's bread-and-butter query on a big ledger: the last 30 days by team by day.
 *
 *   node --import tsx bench/ledger/report-latency.ts LEDGER.duckdb [runs=21]   → prints {"p50_ms", "p95_ms", …}
 */
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

const [db, runsArg] = process.argv.slice(2) as [string, string | undefined];
const runs = Number(runsArg ?? 21);
const store = await createDuckDbStore(db);
const now = Date.now() * 1000;
const times: number[] = [];
let rows = 0;
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const r = await store.query({ dimensions: ['team'], bucket: 'day', since: now - 30 * 86_400_000_000 });
  times.push(performance.now() - t);
  rows = r.rows.length;
}
const events = await store.count();
await store.close();
const sorted = [...times].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
console.log(JSON.stringify({ events, runs, rows, p50_ms: pct(50), p95_ms: pct(95), first_ms: times[0] }));
