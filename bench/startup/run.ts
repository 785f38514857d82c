import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSection } from '../results-file.js';

/**
 * Command start-up: the wall time of `tokenledger prices show gpt-4o` (Node, the CLI's modules, the price catalog,
 * one lookup) and of `tokenledger report` on a small ledger (the same, plus DuckDB: load, open, one grouped query),
 * against Node's own start-up (`node -e 0`, the floor for any Node CLI) and against the same build without the
 * catalog snapshot that `npm run build` writes (dist/pricing/data/genai-prices-*.json; without it the catalog is read
 * by importing @pydantic/genai-prices, as before the snapshot). Targets alternate within each round.
 * Run: `npm run build && node --import tsx bench/startup/run.ts [rounds]` (default 21).
 */
const ROUNDS = Number(process.argv[2] ?? 21);
const DIST = 'dist';
if (!existsSync(join(DIST, 'cli', 'main.js'))) {
  process.stderr.write('bench/startup needs the build: run `npm run build` first\n');
  process.exit(2);
}
// A copy of the build without the snapshot, inside the repository so it resolves the same node_modules.
const NO_SNAPSHOT = join('bench', '.work', 'dist-no-snapshot');
rmSync(NO_SNAPSHOT, { recursive: true, force: true });
cpSync(DIST, NO_SNAPSHOT, {
  recursive: true,
  filter: (src) => !/genai-prices-[^/]*\.json$/.test(src),
});

// A small ledger: the demo organisation for 5 people over 7 days.
const LEDGER = join(mkdtempSync(join(tmpdir(), 'tl-bench-startup-')), 'ledger.duckdb');
const demo = spawnSync(
  process.execPath,
  [join(DIST, 'cli', 'main.js'), 'demo', '--people', '5', '--days', '7', '--db', LEDGER],
  {
    encoding: 'utf8',
  },
);
if (demo.status !== 0) throw new Error(`demo failed: ${demo.stderr}`);

const targets: { name: string; args: string[] }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  {
    name: 'prices show, catalog snapshot (npm run build)',
    args: [join(DIST, 'cli', 'main.js'), 'prices', 'show', 'gpt-4o'],
  },
  {
    name: 'prices show, catalog from the package import',
    args: [join(NO_SNAPSHOT, 'cli', 'main.js'), 'prices', 'show', 'gpt-4o'],
  },
  {
    name: 'report on a small ledger (DuckDB opened)',
    args: [join(DIST, 'cli', 'main.js'), 'report', '--db', LEDGER],
  },
];
const times = targets.map(() => [] as number[]);
for (let r = 0; r < ROUNDS + 1; r++)
  for (const [i, t] of targets.entries()) {
    const t0 = performance.now();
    const p = spawnSync(process.execPath, t.args, { encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (p.status !== 0) throw new Error(`${t.name} failed: ${p.stderr}`);
    if (r > 0) times[i]!.push(ms); // round 0 warms the page cache
  }
rmSync(NO_SNAPSHOT, { recursive: true, force: true });
rmSync(join(LEDGER, '..'), { recursive: true, force: true });

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const floor = median(times[0]!);
const rows = targets.map((t, i) => {
  const m = median(times[i]!);
  const s = [...times[i]!].sort((x, y) => x - y);
  return `| ${t.name} | ${m.toFixed(0)} | ${s[0]!.toFixed(0)}–${s[s.length - 1]!.toFixed(0)} | ${(m - floor).toFixed(0)} |`;
});
const snap = median(times[1]!);
const pkg = median(times[2]!);
const md = `## Command start-up: the price catalog

\`npm run build && node --import tsx bench/startup/run.ts ${ROUNDS}\` on ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version},
load average ${loadavg()
  .map((l) => l.toFixed(2))
  .join(
    ' ',
  )} at the end. ${ROUNDS} rounds, the targets alternating within each (a first round only warms the page cache).

| target | median ms | range ms | over \`node -e 0\` ms |
|---|---:|---:|---:|
${rows.join('\n')}

Reading the catalog's snapshot instead of importing the package: **${(pkg - snap).toFixed(0)} ms less** per command that prices
(${(((pkg - snap) / (pkg - floor)) * 100).toFixed(0)}% of the start-up over Node's own).
`;
process.stdout.write(md);
if (process.env.BENCH_WRITE !== '0') writeSection('startup', md);
