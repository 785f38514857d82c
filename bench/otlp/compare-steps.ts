import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportRequests } from './payloads.js';

/**
 * compare.ts's measurement: argv = build directories (each a compiled tree with src/), exports, rounds. Each build
 * maps every export as the OTLP worker does (mapBatch: decode, map, price, log records) and encodes the store's batch
 * of every 5,000 events (DetachedPreparer, as the worker does when the log drains), rounds alternating between
 * the builds, the first build rotating. Prints each build's µs a span for both steps, min and median over its rounds.
 */
const [baseDir, hereDir, exportsArg, roundsArg] = process.argv.slice(2) as [string, string, string?, string?];
const SPANS = 500;
/** Events a store batch holds: a drain starts at 5,000 waiting events (wal.ts DRAIN_AT). */
const DRAIN = 5_000;
const rounds = Number(roundsArg ?? 16);
const payloads = exportRequests(Number(exportsArg ?? 60), SPANS);

async function load(dir: string) {
  const from = (f: string) => import(pathToFileURL(join(dir, 'src', f)).href);
  const { loadPricer } = await from('pricing/load.js');
  const { createOtlpIngest } = await from('sources/otlp/ingest.js');
  const { mapBatch } = await from('server/otlp/map-batch.js');
  const { DetachedPreparer } = await from('store/duckdb/prepare-batch.js');
  const pricer = await loadPricer({ cwd: process.cwd(), env: {} });
  return { createOtlpIngest, mapBatch, pricer, preparer: new DetachedPreparer(true, true) };
}
const builds = [
  { name: 'base', ...(await load(baseDir)) },
  { name: 'here', ...(await load(hereDir)) },
];

for (const encoding of ['protobuf', 'JSON'] as const) {
  const json = encoding === 'JSON';
  const bodies = json ? payloads.json : payloads.proto;
  const times = builds.map(() => ({ map: [] as number[], store: [] as number[] }));
  for (let round = 0; round < rounds; round++)
    for (let k = 0; k < builds.length; k++) {
      const i = (k + round) % builds.length;
      const b = builds[i]!;
      const ingest = b.createOtlpIngest({ since: 0 });
      let map = 0;
      let store = 0;
      let kept: unknown[] = [];
      for (const [n, body] of bodies.entries()) {
        const t0 = performance.now();
        const m = b.mapBatch(ingest, b.pricer, {
          signal: 'traces',
          json,
          coding: null,
          body,
          ingestedAt: 1,
          limitBytes: 1 << 30,
        });
        map += performance.now() - t0;
        kept.push(...m.priced);
        if (kept.length >= DRAIN || n === bodies.length - 1) {
          const t1 = performance.now();
          b.preparer.prepare(kept);
          store += performance.now() - t1;
          kept = [];
        }
      }
      const spans = bodies.length * SPANS;
      times[i]!.map.push((map * 1000) / spans);
      times[i]!.store.push((store * 1000) / spans);
    }
  for (const [i, b] of builds.entries()) {
    const t = times[i]!;
    console.log(
      `${encoding} ${b.name}: map ${stat(t.map)}, store batch ${stat(t.store)} µs a span (min / median of ${rounds} rounds)`,
    );
  }
}

function stat(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]!.toFixed(2)} / ${s[s.length >> 1]!.toFixed(2)}`;
}
