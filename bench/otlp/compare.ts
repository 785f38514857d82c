/**
 * The OTLP worker's steps in two builds, for a change's A/B while working (the full benchmark, run.ts, takes minutes
 * and its accepted rate moves with this machine's state by more than most changes do). Compiles src/ here and in
 * another copy of the sources (BASE=DIR, e.g. `git archive HEAD src package.json | tar -x -C bench/.work/base`) with
 * bench/compile.ts, then bench/otlp/compare-steps.ts loads both builds into one process and alternates them round by
 * round on the same export requests: what the machine does to one round it does to both builds' neighbouring rounds.
 * Run: BASE=DIR node --import tsx bench/otlp/compare.ts [exports=60] [rounds=16]
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { compileTree } from '../compile.js';

const base = process.env.BASE;
if (!base) throw new Error('BASE=DIR names the other copy of the sources (a folder holding src/)');
const root = join(import.meta.dirname, '..', '..');
const out = join(root, 'bench', '.work', 'otlp-compare');
await compileTree(root, join(out, 'here'), ['bench/otlp/compare-steps.ts', 'bench/otlp/payloads.ts']);
await compileTree(resolve(base), join(out, 'base'), []);
const r = spawnSync(
  process.execPath,
  [
    join(out, 'here', 'bench', 'otlp', 'compare-steps.js'),
    join(out, 'base'),
    join(out, 'here'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
