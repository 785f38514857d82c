import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MODULE = new URL('./young-generation.ts', import.meta.url).href;

/** Size of V8's young generation after allocating 2M objects of which a third survive, in a fresh process. */
function youngGenerationAfterWork(keepSmall: boolean): number {
  const script = `
    import v8 from 'node:v8';
    import { keepYoungGenerationSmall } from ${JSON.stringify(MODULE)};
    if (${keepSmall}) keepYoungGenerationSmall();
    const kept = [];
    for (let i = 0; i < 2e6; i++) { const o = { i, s: 'x' + i }; if (i % 3 === 0) kept.push(o); }
    const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(JSON.stringify({ size: young.space_size, kept: kept.length }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { size: number }).size;
}

describe('keepYoungGenerationSmall', () => {
  it('stops the young generation from growing under work whose objects survive, set while running', () => {
    const grown = youngGenerationAfterWork(false);
    const kept = youngGenerationAfterWork(true);
    expect(grown).toBeGreaterThanOrEqual(16 * 2 ** 20);
    expect(kept).toBeLessThanOrEqual(4 * 2 ** 20);
  });
});
