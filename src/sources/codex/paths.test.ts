import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codexHome, findCodexFiles } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/codex');
const HOME = join(FIXTURES, 'home');
const ROLLOUTS = [
  join(HOME, 'archived_sessions/rollout-2025-08-20T09-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl'),
  join(HOME, 'sessions/2025/09/11/rollout-2025-09-11T18-25-30-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl'),
  join(HOME, 'sessions/2025/09/12/rollout-2025-09-12T08-00-00-0199b0f4-1d2e-7a31-9c55-3f0e2d7c6b18.jsonl'),
];

describe('codex paths', () => {
  it('resolves $CODEX_HOME, else ~/.codex', () => {
    expect(codexHome({}, '/home/ana')).toBe('/home/ana/.codex');
    expect(codexHome({ CODEX_HOME: '/srv/codex' }, '/home/ana')).toBe('/srv/codex');
    expect(codexHome({ CODEX_HOME: '  ' }, '/home/ana')).toBe('/home/ana/.codex');
  });

  it('finds rollouts in sessions/** and archived_sessions/**, nothing else', async () => {
    const d = await findCodexFiles({ env: { CODEX_HOME: HOME }, home: '/nowhere' });
    expect(d).toEqual({ roots: [HOME], files: ROLLOUTS, missing: [], unreadable: [] });
  });

  it('reports a missing ~/.codex and accepts a sessions folder or a file given by hand', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-codex-'));
    expect(await findCodexFiles({ env: {}, home })).toEqual({
      roots: [join(home, '.codex')],
      files: [],
      missing: [join(home, '.codex')],
      unreadable: [],
    });
    const bySessions = await findCodexFiles({ env: {}, home, dirs: [join(HOME, 'sessions')] });
    expect(bySessions.files).toEqual(ROLLOUTS.slice(1));
    const byFile = await findCodexFiles({ env: {}, home, dirs: [ROLLOUTS[0]!] });
    expect(byFile.files).toEqual([ROLLOUTS[0]]);
  });

  it('returns nothing for an empty folder', async () => {
    const d = await findCodexFiles({ env: {}, home: '/x', dirs: [join(FIXTURES, 'empty')] });
    expect(d.files).toEqual([]);
    expect(d.missing).toEqual([]);
  });
});
