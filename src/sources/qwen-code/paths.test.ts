import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findQwenCodeFiles, qwenProjectsDir, qwenRuntimeDir } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/qwen-code');

describe('qwen-code paths', () => {
  it('resolves $QWEN_RUNTIME_DIR, else $QWEN_HOME, else ~/.qwen, as Qwen Code does', () => {
    expect(qwenRuntimeDir({}, '/home/ana')).toBe('/home/ana/.qwen');
    expect(qwenRuntimeDir({ QWEN_HOME: '/srv/q' }, '/home/ana')).toBe('/srv/q');
    expect(qwenRuntimeDir({ QWEN_HOME: '~/q' }, '/home/ana')).toBe('/home/ana/q');
    expect(qwenRuntimeDir({ QWEN_HOME: '/srv/q', QWEN_RUNTIME_DIR: '/run/q' }, '/home/ana')).toBe('/run/q');
    expect(qwenRuntimeDir({ QWEN_RUNTIME_DIR: '  ', QWEN_HOME: '' }, '/home/ana')).toBe('/home/ana/.qwen');
    expect(qwenProjectsDir({}, '/home/ana')).toBe('/home/ana/.qwen/projects');
  });

  it('finds every chat recording under the projects folder', async () => {
    const d = await findQwenCodeFiles({ env: { QWEN_HOME: FIXTURES }, home: '/nowhere' });
    expect(d.missing).toEqual([]);
    expect(d.files.map((f) => f.slice(FIXTURES.length + 1))).toEqual([
      'projects/-home-ana-shop/chats/7d3c9a1e-2b4f-4c6d-8e0a-1f2b3c4d5e6f.jsonl',
      'projects/-home-ana-shop/chats/a1b2c3d4-0000-4111-8222-933344445555.jsonl',
    ]);
  });

  it('searches a runtime folder given by hand in its projects/ only', async () => {
    const runtime = join(FIXTURES, 'runtime');
    const d = await findQwenCodeFiles({ env: {}, home: '/nowhere', dirs: [runtime] });
    expect(d.files.map((f) => f.slice(runtime.length + 1))).toEqual([
      'projects/-srv-api/chats/0f0e0d0c-1111-4222-8333-444455556666.jsonl',
    ]);
  });

  it('reports a missing ~/.qwen/projects and finds nothing in an empty folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-qwen-'));
    expect(await findQwenCodeFiles({ env: {}, home })).toEqual({
      roots: [join(home, '.qwen/projects')],
      files: [],
      missing: [join(home, '.qwen/projects')],
      unreadable: [],
    });
    const empty = await findQwenCodeFiles({ env: {}, home, dirs: [join(FIXTURES, 'empty')] });
    expect(empty.files).toEqual([]);
  });
});
