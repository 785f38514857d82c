/**
 * Import benchmark (issue 3): tokenledger's Claude Code import against ccusage on the same 300 MB of logs, in the
 * same run, alternating the tools. Writes the "import" section of bench/RESULTS.md (BENCH_WRITE=0 only prints it).
 *
 *   node --import tsx bench/import/run.ts [runs=3] [megabytes=300]
 *
 * - Data: bench/.work/import/claude (generate.ts: the logs in ../shared/data/agent-logs copied under fresh ids).
 * - ccusage@20.0.24 installed with --ignore-scripts in bench/.work/import/ccusage (its native binary);
 *   `claude session --json --offline` with HOME and CLAUDE_CONFIG_DIR pointed at the data.
 * - tokenledger: src/ compiled file by file with esbuild into bench/.work/import/dist (the shape of `npm run build`'s
 *   dist/, without tsx in the way);
 *   `import claude-code DIR` into a fresh ledger, then again with nothing new.
 * - Wall time around the child process; peak RSS from GNU time (%M).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeCatalogSnapshot } from '../../src/pricing/bundled-catalog.js';
import { writeSection } from '../results-file.js';
import { generate, sizeOf } from './generate.js';

const REPO = resolve(import.meta.dirname, '../..');
const WORK = join(REPO, 'bench/.work/import');
const DATA = join(WORK, 'claude');
const CCUSAGE_DIR = join(WORK, 'ccusage');
const CCUSAGE = join(CCUSAGE_DIR, 'node_modules/@ccusage/ccusage-linux-x64/bin/ccusage');
const BUILD = join(WORK, 'dist');
const CLI = join(BUILD, 'cli/main.js');
const LEDGER = join(WORK, 'ledger.duckdb');

const runs = Number(process.argv[2] ?? 3);
const megabytes = Number(process.argv[3] ?? 300);

async function prepare(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  if (sizeOf(DATA) <= megabytes * 1e6) {
    rmSync(DATA, { recursive: true, force: true });
    generate(DATA, megabytes * 1e6);
  }
  if (!existsSync(CCUSAGE)) {
    mkdirSync(CCUSAGE_DIR, { recursive: true });
    writeFileSync(join(CCUSAGE_DIR, 'package.json'), '{"name":"ccusage-bench","private":true}\n');
    execFileSync('npm', ['i', '-E', '--ignore-scripts', '--no-audit', '--no-fund', 'ccusage@20.0.24'], {
      cwd: CCUSAGE_DIR,
      stdio: 'inherit',
    });
    execFileSync('chmod', ['+x', CCUSAGE]);
  }
  // File by file, like tsc's dist/ (a bundle would hoist DuckDB's native module into every command's start-up).
  rmSync(BUILD, { recursive: true, force: true });
  execFileSync(
    join(REPO, 'node_modules/.bin/esbuild'),
    [
      ...sources(join(REPO, 'src')),
      '--platform=node',
      '--format=esm',
      `--outdir=${BUILD}`,
      '--log-level=warning',
    ],
    { stdio: 'inherit' },
  );
  // The pricing module reads its data files next to itself.
  cpSync(join(REPO, 'src/pricing/data'), join(BUILD, 'pricing/data'), { recursive: true });
  // And the catalog snapshot `npm run build` writes there (scripts/postbuild.mjs).
  await writeCatalogSnapshot(join(BUILD, 'pricing/data'));
}

interface Measure {
  seconds: number;
  peakMb: number;
  stdout: string;
}

/** Runs a command under GNU time; wall time measured here, peak RSS (KB) from time's last stderr line. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, peakMb: kb / 1024, stdout: r.stdout };
}

const ccusage = () =>
  measure(CCUSAGE, ['claude', 'session', '--json', '--offline'], {
    ...process.env,
    HOME: DATA,
    CLAUDE_CONFIG_DIR: DATA,
  });
const ours = () => measure(process.execPath, [CLI, 'import', 'claude-code', DATA, '--db', LEDGER]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

const met = (ok: boolean) => (ok ? '**met**' : 'no');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await prepare();
  const rows: { cc: Measure; first: Measure; again: Measure; node: Measure }[] = [];
  for (let i = 0; i < runs; i++) {
    const cc = ccusage();
    rmSync(LEDGER, { force: true });
    rmSync(`${LEDGER}.wal`, { force: true });
    rmSync(`${LEDGER}.import-state.json`, { force: true });
    const first = ours();
    const again = ours();
    // What any Node CLI takes before it does anything: the floor under a re-import with nothing new.
    const node = measure(process.execPath, ['-e', '0']);
    rows.push({ cc, first, again, node });
    process.stderr.write(
      `run ${i + 1}: ccusage ${cc.seconds.toFixed(2)} s ${cc.peakMb.toFixed(0)} MB · first import ${first.seconds.toFixed(2)} s ${first.peakMb.toFixed(0)} MB · re-import ${again.seconds.toFixed(2)} s ${again.peakMb.toFixed(0)} MB · node -e 0 ${node.seconds.toFixed(3)} s\n`,
    );
  }
  const cc = median(rows.map((r) => r.cc.seconds));
  const first = median(rows.map((r) => r.first.seconds));
  const again = median(rows.map((r) => r.again.seconds));
  const node = median(rows.map((r) => r.node.seconds));
  const ccMem = median(rows.map((r) => r.cc.peakMb));
  const ourMem = Math.max(...rows.map((r) => Math.max(r.first.peakMb, r.again.peakMb)));
  const tokens = ccusageTokens(rows[0]!.cc.stdout);
  const inside = (m: Measure) => Number(/in ([\d.]+) s/.exec(m.stdout)?.[1]);
  const inCommand = median(rows.map((r) => inside(r.first))).toFixed(2);
  const againInside = median(rows.map((r) => inside(r.again)));
  const events = /imported ([\d,]+) events/.exec(rows.at(-1)!.first.stdout)?.[1];
  const mb = (sizeOf(DATA) / 1e6).toFixed(1);
  const out = [
    '## Import (issue 3): `tokenledger import claude-code` vs ccusage 20.0.24',
    '',
    `Reproduce: \`node --import tsx bench/import/run.ts ${runs} ${megabytes}\` (data: ${mb} MB of Claude Code logs, ${events} events, generated by bench/import/generate.ts from ../shared/data/agent-logs; medians of ${runs} alternating runs; 2 cores, Node ${process.versions.node}; other work on the machine was not stopped, so absolute times are noisy, ratios less so). ccusage parsed ${tokens.toLocaleString('en-US')} tokens. Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end.`,
    '',
    '| measure | ccusage | tokenledger | ratio | goal | met? |',
    '|---|---|---|---|---|---|',
    `| first import, wall (ours stores into a fresh DuckDB ledger) | ${cc.toFixed(2)} s | ${first.toFixed(2)} s (${inCommand} s inside the command) | ${(first / cc).toFixed(2)}x | ≤ 1.0x | ${met(first <= cc)} |`,
    `| re-import with nothing new, wall | ${cc.toFixed(2)} s (a full re-read) | ${again.toFixed(2)} s | ${(cc / again).toFixed(2)}x as fast | ≥ 20x faster | ${met(cc / again >= 20)} |`,
    `| re-import, the import itself (stat + state lookup, printed by the command) | | ${againInside.toFixed(2)} s | ${againInside > 0 ? `${(cc / againInside).toFixed(0)}x faster` : '> 80x faster'} | | |`,
    `| Node starting and exiting (\`node -e 0\`): the least any Node CLI takes | | ${node.toFixed(3)} s | ${(cc / node).toFixed(1)}x as fast | (a re-import ≥ 20x faster would need ${((cc / 20) * 1000).toFixed(0)} ms) | |`,
    `| peak RSS | ${ccMem.toFixed(0)} MB | ${ourMem.toFixed(0)} MB | +${(ourMem - ccMem).toFixed(0)} MB | ≤ +150 MB | ${met(ourMem - ccMem <= 150)} |`,
  ];
  const section = out.join('\n');
  process.stdout.write(`${section}\n`);
  if (process.env.BENCH_WRITE !== '0') writeSection('import', section);
}

function ccusageTokens(json: string): number {
  const r = JSON.parse(json) as { totals?: { totalTokens?: number } };
  return r.totals?.totalTokens ?? 0;
}

await main();
