/**
 * The import-rate goal on a file at hand, for iterating: `tokenledger import jsonl FILE` (built CLI) and DuckDB's
 * `read_json` of the same file (read-json-baseline.ts), alternated RUNS times so both see the same load, each in
 * its own process. Prints every pair and the median ratio of rates (ours / read_json), with CPU seconds and peak
 * RSS, since on a shared machine the wall-clock ratio of one pair swings by 2x.
 *
 *   npm run build && node --import tsx bench/ledger/import-ratio.ts FILE.jsonl [RUNS=3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const [file, runsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: import-ratio.ts FILE.jsonl [RUNS]');
const RUNS = Number(runsArg ?? 3);
const WORK = 'bench/.work/import-ratio';
mkdirSync(WORK, { recursive: true });

interface Run {
  seconds: number;
  cpu: number;
  rssMb: number;
}

function run(args: string[]): Run {
  const rssFile = `${WORK}/rss.txt`;
  for (const p of [`${WORK}/x.duckdb`, `${WORK}/x.duckdb.wal`, rssFile]) rmSync(p, { force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', './bench/ledger/max-rss.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MAX_RSS_FILE: rssFile, CI: '1' },
  });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${r.stderr}`);
  const [rss, user, system] = readFileSync(rssFile, 'utf8').split(' ').map(Number) as [
    number,
    number,
    number,
  ];
  return { seconds, cpu: (user + system) / 1e6, rssMb: rss / 1e6 };
}

const ratios: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const ours = run(['dist/cli/main.js', 'import', 'jsonl', file, '--db', `${WORK}/x.duckdb`]);
  const base = run(['--import', 'tsx', 'bench/ledger/read-json-baseline.ts', file, `${WORK}/x.duckdb`]);
  const ratio = base.seconds / ours.seconds;
  ratios.push(ratio);
  const show = (r: Run) => `${r.seconds.toFixed(1)} s (${r.cpu.toFixed(1)} CPU-s, ${r.rssMb.toFixed(0)} MB)`;
  console.log(`ours ${show(ours)}  read_json ${show(base)}  ratio ${ratio.toFixed(2)}`);
}
ratios.sort((a, b) => a - b);
console.log(`median ratio ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} over ${RUNS} pairs`);
