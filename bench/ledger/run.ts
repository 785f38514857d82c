/**
 * Ledger benchmarks (issue 2), each against a baseline measured in the same run:
 * - canonical JSONL import rate (events/s, MB/s) against DuckDB's own read_json of the same file into the same table;
 * - bytes per event on disk for the demo organisation at 10M events;
 * - p50 of a 30-day by-team-by-day report over those 10M events;
 * - peak RSS while importing 10M events.
 *
 *   npm run build && node --import tsx bench/ledger/run.ts        (BENCH_PEOPLE=3000 → ~10M events; ~15 min)
 *
 * Everything runs in child processes so that each measures itself alone; files go to bench/.work (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { writeSection } from '../results-file.js';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 3000);
const WORK = 'bench/.work/ledger';
const CLI = 'dist/cli/main.js';
if (!existsSync(CLI)) throw new Error('run `npm run build` first: the benchmark measures the built CLI');
mkdirSync(WORK, { recursive: true });

interface Run {
  seconds: number;
  maxRss: number;
  stdout: string;
}

/** Runs node with the max-RSS reporter preloaded; returns wall time, the child's own peak RSS and its output. */
function node(args: string[]): Run {
  const rssFile = `${WORK}/rss.txt`;
  rmSync(rssFile, { force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', './bench/ledger/max-rss.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MAX_RSS_FILE: rssFile, CI: '1' },
    maxBuffer: 1 << 26,
  });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${r.stderr}`);
  return { seconds, maxRss: Number(readFileSync(rssFile, 'utf8').split(' ')[0]), stdout: r.stdout };
}

function fresh(path: string): string {
  for (const p of [path, `${path}.wal`]) rmSync(p, { force: true });
  return path;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

// 1. The demo organisation at ~10M events: how big the ledger is on disk.
const demoDb = fresh(`${WORK}/demo.duckdb`);
log(`demo: ${PEOPLE} people × 30 days …`);
const demo = node([CLI, 'demo', '--db', demoDb, '--people', String(PEOPLE), '--days', '30']);
const events = Number(/imported ([\d,]+) events/.exec(demo.stdout)![1]!.replaceAll(',', ''));
const bytes = statSync(demoDb).size + (existsSync(`${demoDb}.wal`) ? statSync(`${demoDb}.wal`).size : 0);
log(`demo: ${events} events, ${(bytes / events).toFixed(2)} B/event, ${demo.seconds.toFixed(0)} s`);

// 2. The 30-day by-team-by-day report over it.
const latency = JSON.parse(node(['--import', 'tsx', 'bench/ledger/report-latency.ts', demoDb, '21']).stdout);
log(`report: p50 ${latency.p50_ms.toFixed(1)} ms`);

// 3. Export it, then import the JSONL into an empty ledger (ours) and load it with DuckDB's read_json (baseline).
const jsonl = `${WORK}/demo.jsonl`;
rmSync(jsonl, { force: true });
node([CLI, 'export', '--db', demoDb, '--format', 'jsonl', '-o', jsonl]);
const fileBytes = statSync(jsonl).size;
log(`export: ${mb(fileBytes)} MB`);

const ours = node([CLI, 'import', 'jsonl', jsonl, '--db', fresh(`${WORK}/import.duckdb`)]);
const imported = Number(/imported ([\d,]+) events/.exec(ours.stdout)![1]!.replaceAll(',', ''));
log(`import: ${imported} events in ${ours.seconds.toFixed(1)} s, peak RSS ${mb(ours.maxRss)} MB`);

const base = node([
  '--import',
  'tsx',
  'bench/ledger/read-json-baseline.ts',
  jsonl,
  fresh(`${WORK}/read-json.duckdb`),
]);
const baseRows = JSON.parse(base.stdout).rows as number;
log(`read_json: ${baseRows} rows in ${base.seconds.toFixed(1)} s`);
rmSync(jsonl, { force: true });

const rate = (n: number, s: number) => Math.round(n / s);
const oursRate = rate(imported, ours.seconds);
const baseRate = rate(baseRows, base.seconds);
const ratio = oursRate / baseRate;
const bpe = bytes / events;
const check = (ok: boolean) => (ok ? 'met' : '**not met**');
const nodeVersion = process.version;
const duckdbVersion = JSON.parse(readFileSync('node_modules/@duckdb/node-api/package.json', 'utf8')).version;

writeSection(
  'ledger',
  `## Ledger (issue 2): import, size, report latency, memory

Reproduce: \`npm run build && node --import tsx bench/ledger/run.ts\` (\`BENCH_PEOPLE=${PEOPLE}\`; ~${Math.round(events / 1e6)}M
events). Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB,
Node ${nodeVersion}, DuckDB ${duckdbVersion}. Each step runs in its own process; times are wall clock, memory is the
process's own peak RSS.

| measure | ours | baseline (same run) | ratio | goal | |
|---|---|---|---|---|---|
| canonical JSONL import, ${Math.round(imported / 1e6)}M events, ${mb(fileBytes)} MB | ${oursRate.toLocaleString('en-US')} events/s, ${(fileBytes / 1e6 / ours.seconds).toFixed(1)} MB/s (${ours.seconds.toFixed(1)} s) | DuckDB \`read_json\` into one table with the event columns: ${baseRate.toLocaleString('en-US')} rows/s, ${(fileBytes / 1e6 / base.seconds).toFixed(1)} MB/s (${base.seconds.toFixed(1)} s) | ${ratio.toFixed(2)} | ≥ 0.5 | ${check(ratio >= 0.5)} |
| bytes per event on disk, demo organisation | ${bpe.toFixed(2)} B (${mb(bytes)} MB for ${events.toLocaleString('en-US')} events, rollups included) | — | — | ≤ 32 | ${check(bpe <= 32)} |
| 30-day by-team-by-day report | p50 ${latency.p50_ms.toFixed(1)} ms, p95 ${latency.p95_ms.toFixed(1)} ms (${latency.runs} runs, first ${latency.first_ms.toFixed(0)} ms) | — | — | p50 ≤ 200 ms | ${check(latency.p50_ms <= 200)} |
| peak RSS importing ${Math.round(imported / 1e6)}M events (JSONL) | ${mb(ours.maxRss)} MB | DuckDB \`read_json\`: ${mb(base.maxRss)} MB | — | ≤ 1000 MB | ${check(ours.maxRss <= 1e9)} |
| generating and storing the demo (${events.toLocaleString('en-US')} events) | ${demo.seconds.toFixed(0)} s, ${rate(events, demo.seconds).toLocaleString('en-US')} events/s, peak RSS ${mb(demo.maxRss)} MB | — | — | — | |
`,
);
log('bench/RESULTS.md updated');
