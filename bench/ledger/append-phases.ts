/**
 * Where the store's append time goes on real canonical events: parses and prices a JSONL file first (not timed),
 * then appends it to a fresh ledger in batches and prints wall time, process CPU (DuckDB's threads included) and the
 * time of each SQL step, per event.
 *
 *   node --import tsx bench/ledger/append-phases.ts FILE.jsonl LEDGER.duckdb [batch=20000]
 */
import { rmSync, statSync } from 'node:fs';
import { importFiles } from '../../src/ingest/import-files.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { loadPricer } from '../../src/pricing/load.js';
import { jsonlSource } from '../../src/sources/jsonl/parse.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { DuckDbSession } from '../../src/store/duckdb/session.js';
import type { Store } from '../../src/store/store.js';

const [file, db, batchArg] = process.argv.slice(2) as [string, string, string | undefined];
const batchSize = Number(batchArg ?? 20_000);
const pricer = await loadPricer({ cwd: process.cwd(), env: {} });
const all: UsageEvent[] = [];
const collector = {
  append: async (es: readonly UsageEvent[]) => {
    all.push(...es);
    return { inserted: es.length, duplicates: 0 };
  },
} as unknown as Store;
await importFiles(jsonlSource, [file], {
  store: collector,
  price: (e) => pricer.price(e),
  ingestedAt: Date.now() * 1000,
});

const steps = new Map<string, { wall: number; cpu: number }>();
const run = DuckDbSession.prototype.run;
DuckDbSession.prototype.run = async function (this: DuckDbSession, what, sql, params) {
  const t = performance.now();
  const c = process.cpuUsage();
  try {
    return await run.call(this, what, sql, params);
  } finally {
    const k = `${what} | ${/^(INSERT|CREATE OR REPLACE TEMP TABLE \w+|DELETE|UPDATE|BEGIN|COMMIT)/.exec(sql.trim())?.[0] ?? sql.slice(0, 30)}`;
    const u = process.cpuUsage(c);
    const v = steps.get(k) ?? { wall: 0, cpu: 0 };
    steps.set(k, { wall: v.wall + performance.now() - t, cpu: v.cpu + (u.user + u.system) / 1000 });
  }
};
for (const p of [db, `${db}.wal`]) rmSync(p, { force: true });
const store = await createDuckDbStore(db);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < all.length; i += batchSize) await store.append(all.slice(i, i + batchSize));
const appendMs = performance.now() - t0;
await store.close();
const totalMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const per = (ms: number) => ((ms * 1000) / all.length).toFixed(2);
console.log(
  `${all.length} events, batch ${batchSize}: append ${per(appendMs)} µs/event wall, with close ${per(totalMs)}, CPU ${per((cpu.user + cpu.system) / 1000)} µs/event, ${(statSync(db).size / all.length).toFixed(2)} B/event`,
);
let stepCpu = 0;
for (const [k, v] of [...steps].sort((a, b) => b[1].cpu - a[1].cpu)) {
  stepCpu += v.cpu;
  if (v.cpu * 1000 > all.length * 0.05)
    console.log(`${per(v.cpu).padStart(7)} µs/event CPU ${per(v.wall).padStart(7)} wall  ${k}`);
}
console.log(
  `${per(stepCpu)} µs/event CPU in SQL steps; the rest (${per((cpu.user + cpu.system) / 1000 - stepCpu)}) is JS staging and appenders`,
);
