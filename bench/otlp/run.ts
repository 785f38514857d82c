/**
 * OTLP ingest benchmark (issue 5); measure.ts says what it measures. This compiles src/ and the benchmark to plain
 * JavaScript under bench/.work/otlp-js (bench/compile.ts) and runs measure.js from there, so the receiver runs as a
 * deployed server does, without a TypeScript loader (the gateway benchmark's targets run the same way).
 * Run: node --import tsx bench/otlp/run.ts [spans=100000] [batch=500] [concurrency=4]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileTree } from '../compile.js';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, 'bench', '.work', 'otlp-js');
await compileTree(root, out, [
  'bench/otlp/measure.ts',
  'bench/otlp/payloads.ts',
  'bench/results-file.ts',
  'test/otlp/harness.ts',
]);
const flags = process.execArgv.filter((a) => a === '--expose-gc');
const r = spawnSync(
  process.execPath,
  [...flags, join(out, 'bench', 'otlp', 'measure.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
