/**
 * Store measurements: bytes per event on disk, append rate, and the latency of a 30-day by-team-by-day report.
 *
 *   node --expose-gc --import tsx bench/store/measure.ts [events=10000000] [batch=50000]
 *
 * Writes to bench/.work/ (git-ignored). Prints one JSON object; bench/RESULTS.md quotes it.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { syntheticBatches } from './synthetic.js';

const total = Number(process.argv[2] ?? 10_000_000);
const batchSize = Number(process.argv[3] ?? 50_000);
const dir = 'bench/.work';
const path = `${dir}/store-measure.duckdb`;
mkdirSync(dir, { recursive: true });
rmSync(path, { force: true });
rmSync(`${path}.wal`, { force: true });

const start = Date.UTC(2026, 0, 1) * 1000;
const store = await createDuckDbStore(path);
let appendMs = 0;
let peakRss = 0;
let done = 0;
for (const batch of syntheticBatches(total, batchSize, { start, days: 30 })) {
  const t = performance.now();
  await store.append(batch);
  appendMs += performance.now() - t;
  done += batch.length;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (done % 1_000_000 === 0) {
    console.error(
      `${done} events, ${Math.round(done / (appendMs / 1000))} events/s, rss ${Math.round(peakRss / 1e6)} MB`,
    );
  }
}
const query = {
  dimensions: ['team'] as const,
  bucket: 'day' as const,
  since: start + 3_600_000_000 * 7,
  until: start + 30 * 86_400_000_000,
};
const times: number[] = [];
for (let i = 0; i < 21; i++) {
  const t = performance.now();
  await store.query({ ...query, dimensions: [...query.dimensions] });
  times.push(performance.now() - t);
}
const rawTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await store.query({
    dimensions: ['team'],
    bucket: 'day',
    filters: [{ dimension: 'error_type', values: [null] }],
  });
  rawTimes.push(performance.now() - t);
}
await store.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    events: total,
    batch: batchSize,
    append_events_per_s: Math.round(total / (appendMs / 1000)),
    bytes_per_event: Number((statSync(path).size / total).toFixed(2)),
    file_mb: Math.round(statSync(path).size / 1e6),
    peak_rss_mb: Math.round(peakRss / 1e6),
    report_30d_team_day_p50_ms: Number(median(times).toFixed(1)),
    report_raw_scan_p50_ms: Number(median(rawTimes).toFixed(1)),
  }),
);
