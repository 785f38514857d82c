import { createRunawayWatch } from '../../src/budgets/runaway-watch.js';

/**
 * Heap the runaway watch holds per call in its window (src/budgets/runaway-watch.ts): 600,000 calls, what a server at
 * 1,000 calls a second holds in a 10-minute window, over 3,000 sessions, each call's fingerprint made as the gateway
 * makes it (a fresh 32-hex-digit string a call, requestFingerprint): once with distinct prompts (one call in ten
 * repeating one fingerprint), once with every call of a session sending the same one. Everything the watch keeps
 * alive is counted. Run: `node --expose-gc --import tsx bench/gateway/watch-memory.ts`.
 */
const N = 600_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
for (const [name, fingerprint] of [
  ['distinct prompts', (i: number) => (i % 10 === 0 ? 7 : i).toString(16).padStart(32, '0')],
  ['one prompt a session', (i: number) => (i % 3000).toString(16).padStart(32, '0')],
] as const) {
  const watch = createRunawayWatch({
    max_usd: '1000000',
    window_minutes: 10,
    loop_repeats: 100_000,
    block: false,
    block_minutes: 5,
  });
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = Date.now();
  const start = performance.now();
  for (let i = 0; i < N; i++)
    watch.record({
      session_id: `s${i % 3000}`,
      agent: null,
      cost: BigInt(100_000 + (i % 1000) * 12_345),
      fingerprint: fingerprint(i),
      ts: t0 + i,
    });
  const ms = performance.now() - start;
  gc();
  const held = (process.memoryUsage().heapUsed - before) / N;
  console.log(
    `${name}: ${held.toFixed(0)} bytes of heap held a call, ${((ms * 1000) / N).toFixed(2)} µs a record (fingerprint made in it), ${watch.size} sessions`,
  );
}
