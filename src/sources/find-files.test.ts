import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findClaudeCodeFiles } from './claude-code/paths.js';
import { walk } from './find-files.js';

// A folder this user may not list. Tests may run as root, which lists any folder whatever its mode, so the refusal
// is the file system's answer for a folder named `locked`.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (path: string, o: never) => {
    if (String(path).endsWith('/locked'))
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: 'EACCES' });
    return fs.readdir(path, o);
  }) as typeof fs.readdir;
  return { ...fs, readdir };
});

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'tl-walk-'));
  for (const dir of ['projects/open', 'projects/locked']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'projects/open/a.jsonl'), '');
  writeFileSync(join(root, 'projects/locked/b.jsonl'), '');
  return root;
}

describe('walk', () => {
  it('names a folder it cannot list instead of passing over it in silence', async () => {
    const root = tree();
    const files = new Set<string>();
    const unreadable: string[] = [];
    await walk(join(root, 'projects'), files, (n) => n.endsWith('.jsonl'), unreadable);
    expect([...files]).toEqual([join(root, 'projects/open/a.jsonl')]);
    expect(unreadable).toEqual([join(root, 'projects/locked')]);
  });

  it('is carried into the discovery the import reports', async () => {
    const root = tree();
    const d = await findClaudeCodeFiles({ env: {}, home: '/none', dirs: [root] });
    expect(d.files).toEqual([join(root, 'projects/open/a.jsonl')]);
    expect(d.unreadable).toEqual([join(root, 'projects/locked')]);
  });
});
