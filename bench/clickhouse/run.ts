import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { UsageEvent } from '../../src/ledger/event.js';
import { BRANCH_HOURS } from '../../src/store/clickhouse/branch-hours.js';
import { ClickHouseSql } from '../../src/store/clickhouse/clickhouse-sql.js';
import { createClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { FOCUS_DAYS } from '../../src/store/clickhouse/focus-days.js';
import { RECONCILE_DAYS } from '../../src/store/clickhouse/reconcile-days.js';
import { ROLLUP_TABLES } from '../../src/store/clickhouse/rollup.js';
import { startChdbServer } from '../../src/store/clickhouse/testing/chdb-server.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Query } from '../../src/store/query.js';
import type { Store } from '../../src/store/store.js';
import { writeSection } from '../results-file.js';
import { syntheticBatches } from '../store/synthetic.js';

/**
 * The ClickHouse store against the DuckDB file on the same events: appending them, and a 30-day report by team and
 * day that each reads from its daily rollup, and one filtered on error_type, which no rollup keys (raw events: on
 * ClickHouse, read with FINAL), the FOCUS file of the 30 days, and the ROI report's agent calls by git branch and
 * hour (each coding-agent session here works on a branch of its own: every call of a human's session has one). ClickHouse here is its engine in this process
 * (chDB) behind the test HTTP server (src/store/clickhouse/testing/chdb-server.ts), one statement at a time: a
 * deployed server runs on its own cores, so these are the store's own costs on one machine, not a ClickHouse
 * server's speed.
 * Run: `node --import tsx bench/clickhouse/run.ts [events] [rounds]` (default 300,000 and 7).
 */
const EVENTS = Number(process.argv[2] ?? 300_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const BATCH = 20_000;
const DAY = 86_400_000_000;
const start = Date.UTC(2026, 0, 1) * 1000;

const dir = 'bench/.work';
const path = `${dir}/clickhouse-baseline.duckdb`;
mkdirSync(dir, { recursive: true });
for (const p of [path, `${path}.wal`]) rmSync(p, { force: true });
const server = await startChdbServer();
const stores: Record<'duckdb' | 'clickhouse', Store> = {
  duckdb: await createDuckDbStore(path),
  clickhouse: await createClickHouseStore(`${server.url}/bench`),
};

const appendMs = { duckdb: 0, clickhouse: 0 };
// A coding agent's session works on a git branch (the tag its log gives: docs/roi.md); a bot's has none.
const onBranch = (e: UsageEvent): UsageEvent =>
  e.agent?.endsWith('-bot') ? e : { ...e, tags: { git_branch: `feat/${e.session_id}` } };
for (const plain of syntheticBatches(EVENTS, BATCH, { start, days: 30 })) {
  const batch = plain.map(onBranch);
  for (const name of ['duckdb', 'clickhouse'] as const) {
    const t = performance.now();
    await stores[name].append(batch);
    appendMs[name] += performance.now() - t;
  }
}

const range = { since: start, until: start + 30 * DAY };
const rolled: Query = { dimensions: ['team'], bucket: 'day', ...range };
const raw: Query = { ...rolled, filters: [{ dimension: 'error_type', values: [null] }] };
// What the ROI report asks for its merges (roi/roi-report.ts): calls with a branch, by project, branch and hour.
const branches: Query = {
  dimensions: ['project', 'tag.git_branch'],
  filters: [{ dimension: 'tag.git_branch', values: [null], exclude: true }],
  bucket: 'hour',
  ...range,
};
// The same read from the events, as before branch_hours: error_type is in no day table.
const branchesRaw: Query = { ...branches, filters: [...branches.filters!, ...raw.filters!] };
const time = async (s: Store, q: Query) => {
  const t = performance.now();
  const r = await s.query(q);
  return { ms: performance.now() - t, cost: r.totals.cost_usd };
};
// The first report on ClickHouse builds the rollup's 30 days from the events.
const firstBuild = await time(stores.clickhouse, rolled);
const firstDuck = await time(stores.duckdb, rolled);
if (firstBuild.cost !== firstDuck.cost) throw new Error('the two stores disagree on the report');
// The first on ClickHouse builds the branches' 30 days (branch_hours).
const firstBranches = await time(stores.clickhouse, branches);
if (firstBranches.cost !== (await time(stores.duckdb, branches)).cost)
  throw new Error('the two stores disagree on the calls by branch');

// The FOCUS dataset of the 30 days (docs/focus.md): the first export on ClickHouse builds its daily sums
// (focus_days) from the events. The files must hold the same rows (tied rows may come in either order).
const focus = async (name: 'duckdb' | 'clickhouse') => {
  const path = `${dir}/focus-${name}.csv`;
  const t = performance.now();
  await stores[name].export({ format: 'focus', path, ...range });
  return { ms: performance.now() - t, rows: readFileSync(path, 'utf8').split('\n').sort() };
};
const firstFocus = await focus('clickhouse');
if (firstFocus.rows.join('\n') !== (await focus('duckdb')).rows.join('\n'))
  throw new Error('the two stores disagree on the FOCUS file');

const times = {
  duckdb: { rolled: [], raw: [], focus: [], branches: [], branchesRaw: [] },
  clickhouse: { rolled: [], raw: [], focus: [], branches: [], branchesRaw: [] },
} as Record<
  'duckdb' | 'clickhouse',
  Record<'rolled' | 'raw' | 'focus' | 'branches' | 'branchesRaw', number[]>
>;
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['duckdb', 'clickhouse'] as const) : (['clickhouse', 'duckdb'] as const);
  for (const name of order) {
    times[name].rolled.push((await time(stores[name], rolled)).ms);
    times[name].raw.push((await time(stores[name], raw)).ms);
    times[name].focus.push((await focus(name)).ms);
    times[name].branches.push((await time(stores[name], branches)).ms);
    times[name].branchesRaw.push((await time(stores[name], branchesRaw)).ms);
  }
}

// Raw retention (docs/store.md): January's events go, the rollups' days stay. Timed without the 5 s a server waits
// for appends on other instances (a sleep, not work); the rollup is built already, by the reports above.
const sql = await ClickHouseSql.open(`${server.url}/bench`);
const onDisk = async () => {
  const rows = await sql.rows(
    'measuring the tables',
    `SELECT table, sum(bytes_on_disk) AS b FROM system.parts WHERE database = currentDatabase() AND active
     GROUP BY table`,
  );
  const of = (t: string) => Number(rows.find((r) => r.table === t)?.b ?? 0);
  return {
    events: of('events'),
    rollups: ROLLUP_TABLES.reduce((n, t) => n + of(t.table), 0),
    focus: of(FOCUS_DAYS.table),
    reconcile: of(RECONCILE_DAYS.table),
    branches: of(BRANCH_HOURS.table),
  };
};
const diskBefore = await onDisk();
const retireStart = performance.now();
const retired = await stores.clickhouse.retireRaw!(start + 31 * DAY, 0);
const retireMs = performance.now() - retireStart;
const diskAfter = await onDisk();
await sql.close();
const afterRetire: number[] = [];
const focusAfterRetire: number[] = [];
const branchesAfterRetire: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const r = await time(stores.clickhouse, rolled);
  if (r.cost !== firstDuck.cost) throw new Error('the report changed when its events were retired');
  afterRetire.push(r.ms);
  const f = await focus('clickhouse');
  if (f.rows.join('\n') !== firstFocus.rows.join('\n'))
    throw new Error('the FOCUS file changed when its events were retired');
  focusAfterRetire.push(f.ms);
  const b = await time(stores.clickhouse, branches);
  if (b.cost !== firstBranches.cost)
    throw new Error('the calls by branch changed when their events were retired');
  branchesAfterRetire.push(b.ms);
}
for (const s of Object.values(stores)) await s.close();
await server.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const perSec = (name: 'duckdb' | 'clickhouse') =>
  Math.round(EVENTS / (appendMs[name] / 1000)).toLocaleString('en-US');
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}`;
const [dr, cr] = [median(times.duckdb.rolled), median(times.clickhouse.rolled)];
const [dw, cw] = [median(times.duckdb.raw), median(times.clickhouse.raw)];
const [df, cf] = [median(times.duckdb.focus), median(times.clickhouse.focus)];
const [db, cb] = [median(times.duckdb.branches), median(times.clickhouse.branches)];
const [dbr, cbr] = [median(times.duckdb.branchesRaw), median(times.clickhouse.branchesRaw)];
const text = [
  '## ClickHouse store against the DuckDB file',
  '',
  `\`node --import tsx bench/clickhouse/run.ts ${EVENTS} ${ROUNDS}\`, ${when} UTC, ${machine}, load average ` +
    `${loadavg()[0]!.toFixed(2)} at the end. ${EVENTS.toLocaleString('en-US')} synthetic events over 30 days ` +
    `(bench/store/synthetic.ts) appended in batches of ${BATCH.toLocaleString('en-US')} to each store. ClickHouse is ` +
    "its engine in this process (chDB 26.7) behind the test HTTP server, one statement at a time: the store's own " +
    "costs on one machine, not a ClickHouse server's. Baseline: the DuckDB file, same events, same queries, the " +
    'stores alternating each round; each figure is the median of the rounds. Both reports give the same totals.',
  '',
  '| | DuckDB file | ClickHouse | ClickHouse / DuckDB |',
  '|---|---:|---:|---:|',
  `| append (events/s) | ${perSec('duckdb')} | ${perSec('clickhouse')} | ` +
    `${(appendMs.duckdb / appendMs.clickhouse).toFixed(2)}× the rate |`,
  `| 30 days by team and day, from the daily rollup | ${ms(dr)} | ${ms(cr)} | ${(cr / dr).toFixed(2)}× |`,
  `| the same filtered on error_type (raw events) | ${ms(dw)} | ${ms(cw)} | ${(cw / dw).toFixed(2)}× |`,
  `| the 30 days' FOCUS file (${(firstFocus.rows.length - 2).toLocaleString('en-US')} rows; ClickHouse from its ` +
    `daily sums) | ${ms(df)} | ${ms(cf)} | ${(cf / df).toFixed(2)}× |`,
  `| 30 days of calls by project, git branch and hour, as ROI reads them (ClickHouse from branch_hours) | ` +
    `${ms(db)} | ${ms(cb)} | ${(cb / db).toFixed(2)}× |`,
  `| the same filtered on error_type (raw events) | ${ms(dbr)} | ${ms(cbr)} | ${(cbr / dbr).toFixed(2)}× |`,
  '',
  `On ClickHouse the rollup's report takes ${(cr / cw).toFixed(2)}× the raw one's time. Its first report also ` +
    `built the 30 days of the rollup from the events: ${ms(firstBuild.ms)}. A report over a range older than 30 ` +
    "days reads the ledger's raw horizon first (docs/store.md, Raw retention): one statement more, ~10 ms here. " +
    `The first FOCUS export built the 30 days of its daily sums (docs/store.md, FOCUS days) and wrote the file in ` +
    `${ms(firstFocus.ms)}, ${(firstFocus.ms / cf).toFixed(1)}× the later ones. The first report by branch built ` +
    `the 30 days of the branches' hours (docs/store.md, Branch hours) in ${ms(firstBranches.ms)}.`,
  '',
  `**Raw retention** (docs/store.md): retiring January dropped ${retired.events.toLocaleString('en-US')} events in ` +
    `${ms(retireMs)} (without the 5 s a server waits for other instances' appends; the rollups and FOCUS days were ` +
    "built by the reports and exports above, reconcile's daily sums by the retirement, as no reconcile read them). " +
    `On disk: events ${mb(diskBefore.events)} → ${mb(diskAfter.events)}, ` +
    `the rollups ${mb(diskBefore.rollups)} → ${mb(diskAfter.rollups)}, the FOCUS sums ${mb(diskBefore.focus)} → ` +
    `${mb(diskAfter.focus)}, reconcile's ${mb(diskAfter.reconcile)}, the branches' hours ` +
    `${mb(diskAfter.branches)}. The 30-day report by team and day then ` +
    `gave the same totals in ${ms(median(afterRetire))}, ${(median(afterRetire) / cr).toFixed(2)}× its time ` +
    `before, and the FOCUS export the same file in ${ms(median(focusAfterRetire))}, ` +
    `${(median(focusAfterRetire) / cf).toFixed(2)}× its time before, and the calls by branch and hour the same ` +
    `sums in ${ms(median(branchesAfterRetire))}, ${(median(branchesAfterRetire) / cb).toFixed(2)}× their time before.`,
].join('\n');
process.stdout.write(`${text}\n`);
writeSection('clickhouse', text);
