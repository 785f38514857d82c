/**
 * A log that cannot be opened — gone since it was found (an agent pruning old sessions), or not readable by this
 * user — is reported with its path and left for the next import; the other files are imported as usual.
 */
import { appendFileSync, chmodSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
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

type Store = Awaited<ReturnType<typeof createDuckDbStore>>;

/** Imports `path` as the CLI imports files of `kind`: its source, resume mode and pricing. */
async function importKind(kind: string, store: Store, path: string) {
  const k = IMPORT_KINDS[kind]!;
  const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
  return importFiles(
    await k.load(),
    [path],
    { store, price: (e) => pricer.price(e), ingestedAt: 1_780_000_000_000_000 },
    { mode: k.mode, parserJudgesEncoding: k.parserJudgesEncoding, skipUnless: k.skipUnless },
  );
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

/**
 * Codex copies a parent's history into a forked rollout in one burst of 10-40 ms (docs/sources/codex.md, "Forked
 * and subagent rollouts"); an import can land inside it and find the copy half written.
 */
describe('importFiles on a Codex fork read while Codex still copies the parent history', () => {
  const PARENT = '0199c001-0000-7000-8000-000000000001';
  const CHILD = '0199c001-0000-7000-8000-000000000002';
  const at = (ms: number) => new Date(Date.UTC(2026, 5, 25, 9, 0, 0) + ms).toISOString();
  const usage = (input: number, output: number) => ({
    input_tokens: input,
    cached_input_tokens: 0,
    output_tokens: output,
    reasoning_output_tokens: 0,
    total_tokens: input + output,
  });
  const line = (ms: number, type: string, payload: object) =>
    `${JSON.stringify({ timestamp: at(ms), type, payload })}\n`;
  const count = (ms: number, total: object, last: object) =>
    line(ms, 'event_msg', {
      type: 'token_count',
      info: { total_token_usage: total, last_token_usage: last },
    });
  // The parent's history takes 3 s to load, then is copied in 9 ms; the child's own turn comes 27 s later.
  const rollout = [
    line(0, 'session_meta', { id: CHILD, forked_from_id: PARENT, cwd: '/home/ana/api' }),
    line(3_000, 'session_meta', { id: PARENT, cwd: '/home/ana/api' }),
    line(3_001, 'turn_context', { cwd: '/home/ana/api', model: 'gpt-5.4' }),
    count(3_003, usage(100, 50), usage(100, 50)),
    count(3_009, usage(300, 120), usage(200, 70)),
    count(30_000, usage(700, 200), usage(400, 80)),
  ];

  const importCodex = (store: Store, path: string) => importKind('codex', store, path);

  it('counts only the fork’s own turn when an import reads the copy up to its first usage line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-codex-fork-'));
    const path = join(dir, `rollout-2026-06-25T09-00-00-${CHILD}.jsonl`);
    const store = await createDuckDbStore(':memory:');
    try {
      // The import lands between the first and the second copied token_count line.
      writeFileSync(path, rollout.slice(0, 4).join(''));
      await importCodex(store, path);
      writeFileSync(path, rollout.join(''));
      await importCodex(store, path);
      // Once the rollout has settled, whatever was held back is read.
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(path, hourAgo, hourAgo);
      await importCodex(store, path);
      const events = await store.events({});
      expect(events.map((e) => [e.session_id, e.input_tokens, e.output_tokens])).toEqual([[CHILD, 400, 80]]);
    } finally {
      await store.close();
    }
  });

  it('counts the fork’s own first turn that came late, once the rollout has settled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-codex-fork-'));
    const path = join(dir, `rollout-2026-06-25T09-00-00-${CHILD}.jsonl`);
    const store = await createDuckDbStore(':memory:');
    try {
      // No copy: the first usage line, 9 s after session_meta, is the fork's own turn.
      writeFileSync(path, [rollout[0], count(9_000, usage(100, 50), usage(100, 50))].join(''));
      expect((await importCodex(store, path)).heldBackFiles).toBe(1);
      expect(await store.events({})).toEqual([]);
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(path, hourAgo, hourAgo);
      await importCodex(store, path);
      expect((await store.events({})).map((e) => [e.input_tokens, e.output_tokens])).toEqual([[100, 50]]);
    } finally {
      await store.close();
    }
  });
});

/**
 * Whether a log is still being written is judged from its modification time when the import plans it (file-plan.ts,
 * SETTLE_MS). A Claude Code session idle for more than that can resume right then: the lines of its new response
 * land between the plan and the read.
 */
describe('importFiles on a settled log that an agent writes to again while the import runs', () => {
  const reply = (msg: string, second: number, output: number) =>
    `${JSON.stringify({
      sessionId: 's1',
      timestamp: `2026-02-10T21:12:${String(second).padStart(2, '0')}.000Z`,
      requestId: `req_${msg}`,
      message: {
        id: `msg_${msg}`,
        model: 'claude-opus-4-6',
        usage: { input_tokens: 3, output_tokens: output },
      },
    })}\n`;

  it('reads only what the log held when it was planned, so a response begun since is not stored half written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-resumed-'));
    const path = join(dir, 'session.jsonl');
    writeFileSync(path, reply('A', 1, 2) + reply('A', 2, 100));
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path, hourAgo, hourAgo);
    const k = IMPORT_KINDS['claude-code']!;
    const source = await k.load();
    const store = await createDuckDbStore(':memory:');
    const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
    const importLog = (beforeRead?: () => Promise<void>) =>
      importFiles(
        source,
        [path],
        { store, price: (e) => pricer.price(e), ingestedAt: 1_780_000_000_000_000, beforeRead },
        { mode: k.mode, parserJudgesEncoding: k.parserJudgesEncoding, skipUnless: k.skipUnless },
      );
    try {
      // The session resumes as the import starts: the first line of response B, with its placeholder count.
      await importLog(async () => appendFileSync(path, reply('B', 30, 8)));
      appendFileSync(path, reply('B', 31, 780));
      utimesSync(path, hourAgo, hourAgo);
      await importLog();
      // B is counted with its final output, not the placeholder the first import found.
      const events = await store.events({});
      expect(events.map((e) => [e.source_ref, e.output_tokens]).sort()).toEqual([
        [`${path}:2`, 100],
        [`${path}:4`, 780],
      ]);
    } finally {
      await store.close();
    }
  });
});

/**
 * Gemini CLI's `.jsonl` sessions are appended to line by line while the CLI runs, though a changed one is read whole
 * (messages are written again). A line the CLI is still writing is held back like Claude Code's, not a bad line.
 */
describe('importFiles on a Gemini CLI .jsonl session the CLI is still appending to', () => {
  const HEADER = `${JSON.stringify({ sessionId: 'g1', projectHash: 'p1', startTime: '2025-11-02T14:30:00.000Z' })}\n`;
  const message = (id: string, output: number) =>
    JSON.stringify({
      id,
      timestamp: '2025-11-02T14:30:10.000Z',
      type: 'gemini',
      model: 'gemini-2.5-flash',
      tokens: { input: 100, output, cached: 0, thoughts: 0, tool: 0, total: 100 + output },
    });
  const importGemini = (store: Store, path: string) => importKind('gemini-cli', store, path);

  it('holds the unfinished last line back, then imports it once the CLI has finished writing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-gemini-live-'));
    const path = join(dir, 'session-2025-11-02T14-30-g1.jsonl');
    const whole = message('m2', 7);
    const store = await createDuckDbStore(':memory:');
    try {
      writeFileSync(path, `${HEADER}${message('m1', 5)}\n${whole.slice(0, 40)}`);
      const first = await importGemini(store, path);
      expect(first.skippedByCode).toEqual({});
      expect(first.heldBackFiles).toBe(1);
      expect((await store.events({})).map((e) => e.output_tokens)).toEqual([5]);
      appendFileSync(path, `${whole.slice(40)}\n`);
      const second = await importGemini(store, path);
      expect(second.skippedByCode).toEqual({});
      expect((await store.events({})).map((e) => e.output_tokens).sort()).toEqual([5, 7]);
    } finally {
      await store.close();
    }
  });

  it('reports the unfinished last line as SRC_TRUNCATED once the session has settled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-gemini-live-'));
    const path = join(dir, 'session-2025-11-02T14-30-g1.jsonl');
    const store = await createDuckDbStore(':memory:');
    try {
      writeFileSync(path, `${HEADER}${message('m1', 5)}\n${message('m2', 7).slice(0, 40)}`);
      expect((await importGemini(store, path)).skippedByCode).toEqual({});
      // Unchanged since, but settled: the CLI was stopped mid-write, and the line is reported for what it is.
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(path, hourAgo, hourAgo);
      expect((await importGemini(store, path)).skippedByCode).toEqual({ SRC_TRUNCATED: 1 });
    } finally {
      await store.close();
    }
  });
});

describe('an interrupted import', () => {
  it('keeps the state of the files it stored, so the next import reads only the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-resume-'));
    const paths = [1, 2, 3].map((n) => {
      const path = settledCopy(dir, `s${n}.jsonl`);
      writeFileSync(path, LOG.replaceAll('_1"', `_${n}"`));
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(path, hourAgo, hourAgo);
      return path;
    });
    const k = IMPORT_KINDS['claude-code']!;
    const source = await k.load();
    const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
    const store = await createDuckDbStore(':memory:');
    const run = (onProgress?: (done: number, total: number) => void) =>
      importFiles(
        source,
        paths,
        {
          store,
          price: (e) => pricer.price(e),
          ingestedAt: 1_780_000_000_000_000,
          onProgress,
          saveStatesEveryMs: 0,
        },
        { mode: k.mode, parserJudgesEncoding: k.parserJudgesEncoding, skipUnless: k.skipUnless },
      );
    try {
      // Stopped once the second file is read (as Ctrl-C would stop it), before that file's state is saved.
      let files = 0;
      const stop = (done: number) => {
        if (done > 0 && ++files === 2) throw new Error('interrupted');
      };
      await expect(run(stop)).rejects.toThrow('interrupted');
      expect([...(await store.records!.fileStates('claude-code')).keys()]).toEqual([paths[0]]);
      const again = await run();
      expect(again).toMatchObject({ files: 3, unchangedFiles: 1 });
      expect(again.imported + again.duplicates).toBe(2);
      expect(await store.count()).toBe(3);
    } finally {
      await store.close();
    }
  });
});
