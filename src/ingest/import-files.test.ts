/**
 * A log that cannot be opened — gone since it was found (an agent pruning old sessions), or not readable by this
 * user — is reported with its path and left for the next import; the other files are imported as usual.
 */
import { chmodSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPricer } from '../pricing/load.js';
import { createDuckDbStore } from '../store/duckdb/duckdb-store.js';
import { importFiles } from './import-files.js';
import { IMPORT_KINDS } from './kinds.js';

const LOG = `${JSON.stringify({
  sessionId: 's1',
  timestamp: '2026-02-10T21:12:01.669Z',
  requestId: 'req_1',
  message: { id: 'msg_1', model: 'claude-opus-4-6', usage: { input_tokens: 3, output_tokens: 13 } },
})}\n`;

async function importClaude(paths: string[]) {
  const k = IMPORT_KINDS['claude-code']!;
  const store = await createDuckDbStore(':memory:');
  const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
  try {
    const summary = await importFiles(
      await k.load(),
      paths,
      { store, price: (e) => pricer.price(e), ingestedAt: 1_780_000_000_000_000 },
      { mode: k.mode, parserJudgesEncoding: k.parserJudgesEncoding, skipUnless: k.skipUnless },
    );
    return { summary, states: await store.records!.fileStates('claude-code') };
  } finally {
    await store.close();
  }
}

function settledCopy(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, LOG);
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(path, hourAgo, hourAgo);
  return path;
}

describe('importFiles with a file it cannot open', () => {
  it('reports a file gone since it was found as SRC_UNREADABLE and imports the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-gone-'));
    const good = settledCopy(dir, 'good.jsonl');
    const gone = join(dir, 'gone.jsonl');
    const { summary, states } = await importClaude([gone, good]);
    expect(summary.imported).toBe(1);
    expect(summary.skippedByCode).toEqual({ SRC_UNREADABLE: 1 });
    expect(summary.firstSkips[0]).toMatchObject({ ref: gone, code: 'SRC_UNREADABLE' });
    expect(summary.firstSkips[0]!.reason).toContain('ENOENT');
    // No state is kept for it: the next import tries it again.
    expect([...states.keys()]).toEqual([good]);
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports a file without read permission and imports the others',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tl-perm-'));
      const good = settledCopy(dir, 'good.jsonl');
      const locked = settledCopy(dir, 'locked.jsonl');
      chmodSync(locked, 0);
      const { summary } = await importClaude([locked, good]);
      expect(summary.imported).toBe(1);
      expect(summary.firstSkips[0]).toMatchObject({ ref: locked, code: 'SRC_UNREADABLE' });
      expect(summary.firstSkips[0]!.reason).toContain('EACCES');
    },
  );
});
