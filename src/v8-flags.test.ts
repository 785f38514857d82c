import { describe, expect, it } from 'vitest';
import { youngGenerationAfter } from '../test/helpers/young-generation.js';

const url = (m: string) => JSON.stringify(new URL(m, import.meta.url).href);

/** Young generation size in a fresh process that set the small-young-generation flag `how`, then ran a worker. */
function youngGenerationAfterWorker(how: 'kept' | 'set'): number {
  return youngGenerationAfter(`
    import { setFlagsFromString } from 'node:v8';
    import { keepV8Flag } from ${url('./v8-flags.ts')};
    import { spawnWorker } from ${url('./worker-thread.ts')};
    const flag = '--semi-space-growth-factor=1';
    if (${JSON.stringify(how)} === 'kept') keepV8Flag(flag);
    else setFlagsFromString(flag);
    const w = spawnWorker(${url('../test/helpers/idle-worker.js')}, 'idle-worker', null);
    await new Promise((r) => w.once('exit', r));`);
}

describe('keepV8Flag', () => {
  it('keeps a flag set while running in force after a worker thread has started', () => {
    expect(youngGenerationAfterWorker('kept')).toBeLessThanOrEqual(4 * 2 ** 20);
    // Why: before Node 24, a worker's start-up resets the flags its process set while running (Node 24 keeps them).
    if (Number(process.versions.node.split('.')[0]) < 24)
      expect(youngGenerationAfterWorker('set')).toBeGreaterThanOrEqual(16 * 2 ** 20);
  });
});
