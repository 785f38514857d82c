import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeConfigDirs, findClaudeCodeFiles } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/claude-code');
const PROJECT = join(FIXTURES, 'config/projects/-home-ana-shop');

describe('claudeConfigDirs', () => {
  it('uses both default folders without CLAUDE_CONFIG_DIR', () => {
    expect(claudeConfigDirs({}, '/home/ana')).toEqual(['/home/ana/.config/claude', '/home/ana/.claude']);
  });
  it('takes a comma-separated CLAUDE_CONFIG_DIR instead, trimmed and deduplicated', () => {
    expect(claudeConfigDirs({ CLAUDE_CONFIG_DIR: ' /a , /b,,/a ' }, '/home/ana')).toEqual(['/a', '/b']);
  });
});

describe('findClaudeCodeFiles', () => {
  const expected = [
    join(PROJECT, '0b8c3a52-6a1e-4f0e-9d43-2f6f3c1d9a01.jsonl'),
    join(PROJECT, '0b8c3a52-6a1e-4f0e-9d43-2f6f3c1d9a01/subagents/agent-a7be2f0.jsonl'),
    join(PROJECT, '9d2e7f10-3c4b-4a5d-8e6f-7a8b9c0d1e2f.jsonl'),
  ].sort();

  it('finds projects/**/*.jsonl, subagents included, under CLAUDE_CONFIG_DIR', async () => {
    const d = await findClaudeCodeFiles({
      env: { CLAUDE_CONFIG_DIR: join(FIXTURES, 'config') },
      home: '/nowhere',
    });
    expect(d.files).toEqual(expected);
    expect(d.missing).toEqual([]);
  });

  it('finds logs under ~/.claude and reports the missing ~/.config/claude', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-claude-'));
    const project = join(home, '.claude/projects/p');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 's.jsonl'), '');
    writeFileSync(join(project, 'notes.txt'), '');
    writeFileSync(join(home, '.claude/history.jsonl'), ''); // outside projects/: not a session log
    const d = await findClaudeCodeFiles({ env: {}, home });
    expect(d.files).toEqual([join(project, 's.jsonl')]);
    expect(d.missing).toEqual([join(home, '.config/claude')]);
  });

  it('accepts explicit folders (a projects folder, or a folder of logs) and single files', async () => {
    const viaProjects = await findClaudeCodeFiles({
      env: {},
      home: '/x',
      dirs: [join(FIXTURES, 'config/projects')],
    });
    expect(viaProjects.files).toEqual(expected);
    const one = await findClaudeCodeFiles({ env: {}, home: '/x', dirs: [expected[0]!, expected[0]!] });
    expect(one.files).toEqual([expected[0]]);
  });

  it('returns nothing for an empty folder', async () => {
    const d = await findClaudeCodeFiles({ env: {}, home: '/x', dirs: [join(FIXTURES, 'empty')] });
    expect(d).toMatchObject({ files: [], missing: [] });
    const dir = mkdtempSync(join(tmpdir(), 'tl-empty-'));
    expect((await findClaudeCodeFiles({ env: { CLAUDE_CONFIG_DIR: dir }, home: '/x' })).files).toEqual([]);
  });
});
