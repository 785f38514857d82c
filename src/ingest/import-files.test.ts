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

/**
 * Codex compresses a rollout a week old in place to `rollout-….jsonl.zst` (zstd level 3; openai/codex
 * codex-rs/rollout/src/compression.rs, MIN_ROLLOUT_AGE) and reads it transparently: so do we.
 */
describe('importFiles with compressed Codex rollouts', () => {
  const FIXTURE = join(
    import.meta.dirname,
    '../../test/fixtures/codex/compressed/archived_sessions/2025/09/02',
    'rollout-2025-09-02T08-00-00-0199e0c1-5a7b-7c3d-9e4f-0a1b2c3d4e5f.jsonl.zst',
  );

  it('reads the decompressed lines, reports a damaged one, and does not reopen an unchanged one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-zst-'));
    const damaged = join(dir, 'rollout-2025-09-03T08-00-00-0199e0c1-0000-7000-8000-000000000000.jsonl.zst');
    writeFileSync(damaged, 'not zstd');
    const k = IMPORT_KINDS.codex!;
    const store = await createDuckDbStore(':memory:');
    const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
    try {
      const source = await k.load();
      const first = await importFiles(
        source,
        [FIXTURE, damaged],
        { store, price: (e) => pricer.price(e), ingestedAt: 1_780_000_000_000_000 },
        { mode: k.mode, parserJudgesEncoding: k.parserJudgesEncoding },
      );
      expect(first.imported).toBe(2);
      expect(first.skippedByCode).toEqual({ SRC_UNREADABLE: 1 });
      expect(first.firstSkips[0]).toMatchObject({ ref: damaged, code: 'SRC_UNREADABLE' });
      expect(first.firstSkips[0]!.reason).toContain('not a valid zstd file');
      const { rows } = await store.query({ dimensions: ['session_id', 'model_requested'] });
      expect(
        rows.map((r) => [r.dims, r.events, r.input_tokens, r.cache_read_tokens, r.output_tokens]),
      ).toEqual([
        [
          { session_id: '0199e0c1-5a7b-7c3d-9e4f-0a1b2c3d4e5f', model_requested: 'gpt-5-codex' },
          2,
          1900,
          1100,
          800,
        ],
      ]);
      const again = await importFiles(
        source,
        [FIXTURE],
        { store, price: (e) => pricer.price(e), ingestedAt: 1_780_000_000_000_001 },
        { mode: k.mode, parserJudgesEncoding: k.parserJudgesEncoding },
      );
      expect(again).toMatchObject({ imported: 0, unchangedFiles: 1 });
    } finally {
      await store.close();
    }
  });
});
