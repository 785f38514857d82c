import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Size in bytes of V8's young generation in a fresh Node process (TypeScript through tsx) that runs the ES module
 * code `setup`, then allocates 2M objects of which a third survive: a young generation left to grow reaches 16 MB
 * or more under that work.
 */
export function youngGenerationAfter(setup: string): number {
  const script = `
    import v8 from 'node:v8';
    ${setup}
    const kept = [];
    for (let i = 0; i < 2e6; i++) { const o = { i, s: 'x' + i }; if (i % 3 === 0) kept.push(o); }
    const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(JSON.stringify({ size: young.space_size, kept: kept.length }));`;
  // From a file, not `-e`: a worker the setup starts inherits the command line, and `--input-type` fails a worker
  // started from a file.
  const file = join(mkdtempSync(join(tmpdir(), 'tl-young-')), 'young.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { size: number }).size;
}
