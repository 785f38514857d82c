import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ampDataDir, findAmpFiles } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/amp');
const DATA = join(FIXTURES, 'data');
const THREADS = [1, 2, 3, 4, 5, 6].map((n) => `T-0a1b2c3d-1111-4aaa-8bbb-00000000000${n}.json`);

describe('amp paths', () => {
  it('resolves ~/.local/share/amp on every platform when nothing is set', () => {
    for (const platform of ['linux', 'darwin', 'win32']) {
      expect(ampDataDir({}, '/home/ana', platform)).toBe('/home/ana/.local/share/amp');
    }
  });

  // Amp's core/src/common/dirs.ts, as sourcegraph/amp.nvim lua/amp/lockfile.lua restates it.
  it("follows Amp's own data home: $AMP_DATA_HOME, else $XDG_DATA_HOME on Linux only", () => {
    expect(ampDataDir({ AMP_DATA_HOME: '/srv/amp-home' }, '/home/ana', 'darwin')).toBe('/srv/amp-home/amp');
    expect(ampDataDir({ XDG_DATA_HOME: '/xdg' }, '/home/ana', 'linux')).toBe('/xdg/amp');
    expect(ampDataDir({ XDG_DATA_HOME: '/xdg' }, '/home/ana', 'darwin')).toBe('/home/ana/.local/share/amp');
    expect(ampDataDir({ XDG_DATA_HOME: ' ' }, '/home/ana', 'linux')).toBe('/home/ana/.local/share/amp');
    expect(ampDataDir({ AMP_DATA_HOME: '/a', XDG_DATA_HOME: '/xdg' }, '/home/ana', 'linux')).toBe('/a/amp');
  });

  it('takes $AMP_DATA_DIR (as ccusage does) as the amp folder itself, before anything else', () => {
    expect(ampDataDir({ AMP_DATA_DIR: '/data/amp', AMP_DATA_HOME: '/a' }, '/home/ana', 'linux')).toBe(
      '/data/amp',
    );
  });

  it('finds the thread documents under threads/, and not the temporary files beside them', async () => {
    const d = await findAmpFiles({ env: { AMP_DATA_DIR: DATA }, home: '/nowhere' });
    expect(d.missing).toEqual([]);
    expect(d.files.map((f) => f.slice(DATA.length + 1))).toEqual(THREADS.map((t) => `threads/${t}`));
  });

  it('takes a threads folder or a single thread named on the command line', async () => {
    const threads = join(DATA, 'threads');
    expect((await findAmpFiles({ env: {}, home: '/nowhere', dirs: [threads] })).files).toHaveLength(6);
    const one = join(threads, THREADS[0]!);
    expect((await findAmpFiles({ env: {}, home: '/nowhere', dirs: [one] })).files).toEqual([one]);
  });

  it('reports a missing default folder and finds nothing in an empty one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-amp-'));
    const dir = join(home, '.local/share/amp');
    expect(await findAmpFiles({ env: {}, home, platform: 'linux' })).toEqual({
      roots: [dir],
      files: [],
      missing: [dir],
      unreadable: [],
    });
    const empty = await findAmpFiles({ env: {}, home, dirs: [join(FIXTURES, 'empty')] });
    expect(empty).toMatchObject({ files: [], missing: [] });
  });
});
