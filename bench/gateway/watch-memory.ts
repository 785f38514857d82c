import { createRunawayWatch } from '../../src/budgets/runaway-watch.js';

/**
 * Heap the runaway watch holds per call in its window (src/budgets/runaway-watch.ts): 600,000 calls, what a server at
 * 1,000 calls a second holds in a 10-minute window, over 3,000 sessions, one call in ten repeating a fingerprint. The
 * fingerprints (32 hex digits, as requestFingerprint writes them) are made before measuring: the gateway has them
 * anyway. Run: `node --expose-gc --import tsx bench/gateway/watch-memory.ts`.
 */
const N = 600_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const watch = createRunawayWatch({
  max_usd: '1000000',
  window_minutes: 10,
  loop_repeats: 100_000,
  block: false,
  block_minutes: 5,
});
const fingerprints = Array.from({ length: N }, (_, i) =>
  (i % 10 === 0 ? 7 : i).toString(16).padStart(32, '0'),
);
gc();
const before = process.memoryUsage().heapUsed;
const t0 = Date.now();
const start = performance.now();
for (let i = 0; i < N; i++)
  watch.record({
    session_id: `s${i % 3000}`,
    agent: null,
    cost: BigInt(100_000 + (i % 1000) * 12_345),
    fingerprint: fingerprints[i]!,
    ts: t0 + i,
  });
const ms = performance.now() - start;
gc();
const held = (process.memoryUsage().heapUsed - before) / N;
console.log(
  `${held.toFixed(0)} bytes of heap held a call, ${((ms * 1000) / N).toFixed(2)} µs a record, ${watch.size} sessions`,
);
