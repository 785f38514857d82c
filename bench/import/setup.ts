/**
 * What the benchmarks against ccusage share (import, statusline): the generated Claude Code logs, ccusage itself, and
 * tokenledger built as `npm run build` lays it out.
 *
 * - Data: bench/.work/import/claude (generate.ts: the logs in ../shared/data/agent-logs copied under fresh ids).
 * - ccusage@20.0.24 installed with --ignore-scripts in bench/.work/import/ccusage (its native binary).
 * - tokenledger: src/ compiled file by file with esbuild into bench/.work/import/dist (the shape of `npm run build`'s
 *   dist/, without tsx in the way).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeCatalogSnapshot } from '../../src/pricing/bundled-catalog.js';
import { generate, sizeOf } from './generate.js';

const REPO = resolve(import.meta.dirname, '../..');
export const WORK = join(REPO, 'bench/.work/import');
export const DATA = join(WORK, 'claude');
const CCUSAGE_DIR = join(WORK, 'ccusage');
export const CCUSAGE = join(CCUSAGE_DIR, 'node_modules/@ccusage/ccusage-linux-x64/bin/ccusage');
const BUILD = join(WORK, 'dist');
export const CLI = join(BUILD, 'cli/main.js');

/** Generates the data (when smaller than `megabytes`), installs ccusage once, and builds tokenledger afresh. */
export async function prepare(megabytes: number): Promise<void> {
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

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

export interface Measure {
  seconds: number;
  peakMb: number;
  stdout: string;
}

/**
 * Runs a command under GNU time; wall time measured here, peak RSS (KB) from time's last stderr line. `input` is
 * its standard input.
 */
export function measure(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  input?: string,
): Measure {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env,
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, peakMb: kb / 1024, stdout: r.stdout };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
