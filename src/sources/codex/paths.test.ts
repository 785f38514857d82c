import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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

// Codex compresses week-old rollouts in place to `.jsonl.zst` and, while both forms exist, reads the plain one
// (openai/codex codex-rs/rollout/src/compression.rs: parse_rollout_file_name, should_skip_compressed_sibling).
describe('codex paths, compressed rollouts', () => {
  const ZST = join(
    FIXTURES,
    'compressed/archived_sessions/2025/09/02/rollout-2025-09-02T08-00-00-0199e0c1-5a7b-7c3d-9e4f-0a1b2c3d4e5f.jsonl.zst',
  );

  it('finds rollout-*.jsonl.zst, and not the compressed twin of a plain rollout', async () => {
    expect(
      (await findCodexFiles({ env: { CODEX_HOME: join(FIXTURES, 'compressed') }, home: '/x' })).files,
    ).toEqual([ZST]);
    const home = mkdtempSync(join(tmpdir(), 'tl-codex-zst-'));
    const day = join(home, 'sessions/2025/09/02');
    mkdirSync(day, { recursive: true });
    const plain = join(day, 'rollout-2025-09-02T08-00-00-0199e0c1-5a7b-7c3d-9e4f-0a1b2c3d4e5f.jsonl');
    writeFileSync(plain, '');
    copyFileSync(ZST, `${plain}.zst`);
    const alone = join(day, 'rollout-2025-09-02T09-00-00-0199e0c1-0000-7000-8000-000000000001.jsonl.zst');
    copyFileSync(ZST, alone);
    writeFileSync(join(day, 'notes.jsonl.zst'), '');
    expect((await findCodexFiles({ env: { CODEX_HOME: home }, home: '/x' })).files).toEqual([plain, alone]);
  });
});
