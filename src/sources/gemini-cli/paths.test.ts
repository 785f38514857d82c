import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findGeminiCliFiles, geminiDataDir } from './paths.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/gemini-cli');
const TMP = join(FIXTURES, 'tmp');

describe('gemini-cli paths', () => {
  it('resolves $GEMINI_DATA_DIR, else ~/.gemini/tmp', () => {
    expect(geminiDataDir({}, '/home/ana')).toBe('/home/ana/.gemini/tmp');
    expect(geminiDataDir({ GEMINI_DATA_DIR: '/data/g' }, '/home/ana')).toBe('/data/g');
  });

  // Gemini CLI's own home override: packages/core/src/utils/paths.ts homedir() returns $GEMINI_CLI_HOME when set.
  it('looks under $GEMINI_CLI_HOME/.gemini/tmp, where Gemini CLI writes when that variable is set', () => {
    expect(geminiDataDir({ GEMINI_CLI_HOME: '/srv/job-1' }, '/home/ana')).toBe('/srv/job-1/.gemini/tmp');
    expect(geminiDataDir({ GEMINI_CLI_HOME: '  ' }, '/home/ana')).toBe('/home/ana/.gemini/tmp');
    expect(geminiDataDir({ GEMINI_CLI_HOME: '/srv/job-1', GEMINI_DATA_DIR: '/data/g' }, '/home/ana')).toBe(
      '/data/g',
    );
  });

  it('finds every .json and .jsonl below the data folder', async () => {
    const d = await findGeminiCliFiles({ env: { GEMINI_DATA_DIR: TMP }, home: '/nowhere' });
    expect(d.missing).toEqual([]);
    expect(d.files.map((f) => f.slice(TMP.length + 1))).toEqual([
      '3f9a6c1d2e7b4a5f8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d/chats/session-2025-09-20T10-15-7c1e2a4b.json',
      'broken/chats/session-2025-10-01T08-00-deadbeef.json',
      'my-app/chats/4b5c6d7e-1111-4222-8333-944455556666/9a8b7c6d-2222-4333-8444-a55566677788.jsonl',
      'my-app/chats/session-2025-11-02T14-30-4b5c6d7e.jsonl',
      'my-app/logs.json',
    ]);
  });

  it('reports a missing ~/.gemini/tmp and finds nothing in an empty folder', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-gemini-'));
    expect(await findGeminiCliFiles({ env: {}, home })).toEqual({
      roots: [join(home, '.gemini/tmp')],
      files: [],
      missing: [join(home, '.gemini/tmp')],
      unreadable: [],
    });
    const empty = await findGeminiCliFiles({ env: {}, home, dirs: [join(FIXTURES, 'empty')] });
    expect(empty.files).toEqual([]);
  });
});
