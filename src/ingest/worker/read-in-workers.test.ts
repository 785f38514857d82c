/**
 * Agent logs and provider exports read by worker threads (read-in-workers.ts) must land in the ledger exactly as
 * when this thread reads them: the same events in the same order, the same side records, summary and per-file
 * import state — on first imports and on a log that grew. Reads started before the ledger was open are used only
 * when the ledger's state is the one they were planned from.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { settledFixtures } from '../../../test/helpers/settled-fixtures.js';
import { youngGenerationAfter } from '../../../test/helpers/young-generation.js';
import { loadPricer } from '../../pricing/load.js';
import type { Pricer } from '../../pricing/pricer.js';
import { createDuckDbStore } from '../../store/duckdb/duckdb-store.js';
import type { FileState } from '../../store/import-records.js';
import type { Store } from '../../store/store.js';
import { type EarlyReads, type FileImportOptions, importFiles, readEarly } from '../import-files.js';
import { IMPORT_KINDS } from '../kinds.js';

const FIX = settledFixtures();
const SHARED_CLAUDE = resolve(import.meta.dirname, '../../../../shared/data/agent-logs/claude');
const INGESTED_AT = 1_780_000_000_000_000;
const DEFAULTS = { user: 'ana', team: null, project: null };

const filesIn = (dir: string) => readdirSync(dir).map((f) => join(dir, f));

const CASES = [
  ['claude-code', async () => (await IMPORT_KINDS['claude-code']!.discover!(at('claude-code/config'))).files],
  ['codex', async () => (await IMPORT_KINDS.codex!.discover!(at('codex/home'))).files],
  ['gemini-cli', async () => (await IMPORT_KINDS['gemini-cli']!.discover!(at('gemini-cli/tmp'))).files],
  ['copilot', async () => (await IMPORT_KINDS.copilot!.discover!(at('copilot/home'))).files],
  ['pi', async () => (await IMPORT_KINDS.pi!.discover!(at('pi/agent'))).files],
  ['amp', async () => (await IMPORT_KINDS.amp!.discover!(at('amp/data'))).files],
  ['qwen-code', async () => (await IMPORT_KINDS['qwen-code']!.discover!(at('qwen-code/projects'))).files],
  ['openai-usage', async () => filesIn(join(FIX, 'openai-usage'))],
  ['anthropic-usage', async () => filesIn(join(FIX, 'anthropic-usage'))],
  ['cursor', async () => filesIn(join(FIX, 'cursor'))],
] as const;

/** The ledger lists file states in no particular order. */
const byPath = (states: Map<string, FileState>) =>
  [...states.values()].sort((a, b) => a.path.localeCompare(b.path));

function at(dir: string) {
  return { env: {}, home: '/none', dirs: [join(FIX, dir)] };
}

function optionsOf(kind: string, workers: number | null): FileImportOptions {
  const k = IMPORT_KINDS[kind]!;
  return {
    mode: k.mode,
    parserJudgesEncoding: k.parserJudgesEncoding,
    skipUnless: k.skipUnless,
    readers: workers === null ? undefined : { kind, count: workers },
  };
}

async function importInto(store: Store, pricer: Pricer, kind: string, paths: string[], o: FileImportOptions) {
  return importFiles(
    await IMPORT_KINDS[kind]!.load(),
    paths,
    { store, price: (e) => pricer.price(e), ingestedAt: INGESTED_AT, defaults: DEFAULTS, batchSize: 3 },
    o,
  );
}

/** Imports each group of files in turn into a new ledger; returns every summary and what the ledger then holds. */
async function run(
  kind: string,
  groups: string[][],
  workers: number | null,
  early?: (s: Store) => EarlyReads,
) {
  const store = await createDuckDbStore(':memory:');
  const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
  const summaries = [];
  for (const paths of groups) {
    const o = optionsOf(kind, workers);
    if (early && o.readers) o.readers.early = early(store);
    summaries.push(await importInto(store, pricer, kind, paths, o));
  }
  const held = {
    events: await store.events({}),
    states: byPath(await store.records!.fileStates(kind)),
    costs: await store.records!.providerCosts(),
    activity: await store.records!.activity(),
  };
  await store.close();
  return { summaries, ...held };
}

describe('reading in worker threads', () => {
  it.each(CASES)(
    '%s: the ledger, side records, summary and file states equal the in-thread import',
    async (kind, find) => {
      const paths = await find();
      const here = await run(kind, [paths], null);
      const there = await run(kind, [paths], 2);
      expect(here.events.length + here.costs.length + here.activity.length).toBeGreaterThan(0);
      expect(here.summaries[0]!.skipped).toBeGreaterThan(0); // every fixture set has broken records on purpose
      expect(there).toEqual(here);
    },
  );

  it.skipIf(!existsSync(SHARED_CLAUDE))(
    'on the real Claude Code logs of ../shared/data (sessions, subagents, every usage shape in them)',
    async () => {
      const dir = settledFixtures(SHARED_CLAUDE);
      const paths = (await IMPORT_KINDS['claude-code']!.discover!({ env: {}, home: '/none', dirs: [dir] }))
        .files;
      const here = await run('claude-code', [paths], null);
      expect(here.events.length).toBeGreaterThan(400);
      expect(await run('claude-code', [paths], 2)).toEqual(here);
    },
  );

  it('a response repeated in two files is stored from the first file, however the workers finish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-read-workers-'));
    const reply = (session: string, msg: string) =>
      `${JSON.stringify({
        type: 'assistant',
        uuid: `${session}-${msg}`,
        sessionId: session,
        requestId: `req_${msg}`,
        timestamp: '2026-02-10T10:00:00Z',
        message: {
          id: `msg_${msg}`,
          model: 'claude-sonnet-4-5-20250929',
          usage: { input_tokens: 3, output_tokens: 4 },
        },
      })}\n`;
    // Lines that hold the text "usage" are parsed whole (read-lines.ts skipUnless): ~30 MB of them make the first
    // file slow to read; the others are quick.
    const filler = `${JSON.stringify({ type: 'user', message: { content: 'usage' }, pad: 'x'.repeat(2000) })}\n`;
    // A worker posts the third file long before the first.
    const logs = ['a', 'b', 'c'].map((n) => join(dir, `projects/-p/${n}.jsonl`));
    mkdirSync(join(dir, 'projects/-p'), { recursive: true });
    writeFileSync(logs[0]!, filler.repeat(15_000) + reply('first', 'same'));
    writeFileSync(logs[1]!, reply('other', 'b'));
    writeFileSync(logs[2]!, reply('second', 'same'));
    const hour = new Date(Date.now() - 3_600_000);
    for (const l of logs) utimesSync(l, hour, hour);
    const there = await run('claude-code', [logs], 2);
    expect(there.events.map((e) => e.session_id).sort()).toEqual(['first', 'other']);
    expect(there.summaries[0]!.duplicates).toBe(1);
    expect(there).toEqual(await run('claude-code', [logs], null));
  });

  it('a log that grew is read on from where the last import stopped, the same as in-thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-read-workers-'));
    const logs = Array.from({ length: 5 }, (_, i) => join(dir, `projects/-p${i}/s${i}.jsonl`));
    const reply = (n: number, output: number) =>
      `${JSON.stringify({
        type: 'assistant',
        uuid: `u${n}`,
        sessionId: 's',
        requestId: `req_${n}`,
        timestamp: '2026-02-10T10:00:00Z',
        message: {
          id: `msg_${n}`,
          model: 'claude-sonnet-4-5-20250929',
          usage: { input_tokens: n, output_tokens: output },
        },
      })}\n`;
    // Both runs see the same files, modified at the same (recent) times.
    const written = new Date();
    const grown = new Date(written.getTime() + 1000);
    const write = () => {
      for (const [i, log] of logs.entries()) {
        mkdirSync(join(log, '..'), { recursive: true });
        writeFileSync(log, reply(i * 10, 1) + reply(i * 10, 5) + reply(i * 10 + 1, 7));
        utimesSync(log, written, written);
      }
    };
    // Each run starts from the same files: the second group reads them after they grew, one with a cut last line.
    const grow = () => {
      for (const [i, log] of logs.entries()) {
        appendFileSync(log, reply(i * 10 + 2, 3) + (i === 0 ? '{"type":' : ''));
        utimesSync(log, grown, grown);
      }
    };
    const runGrowing = async (workers: number | null) => {
      write();
      const store = await createDuckDbStore(':memory:');
      const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
      const first = await importInto(store, pricer, 'claude-code', logs, optionsOf('claude-code', workers));
      grow();
      const second = await importInto(store, pricer, 'claude-code', logs, optionsOf('claude-code', workers));
      const held = {
        events: await store.events({}),
        states: byPath(await store.records!.fileStates('claude-code')),
      };
      await store.close();
      return { first, second, ...held };
    };
    const here = await runGrowing(null);
    const there = await runGrowing(2);
    // The logs were just written, so each import holds back the last response of each (it may still grow).
    expect(here.second).toMatchObject({ resumedFiles: 5, heldBackFiles: 5 });
    expect(here.events).toHaveLength(10);
    expect(there).toEqual(here);
  });

  /** Claude Code reads planned from an empty ledger, as for a ledger not yet made; `taken` spies on their use. */
  function readsFromEmpty(paths: string[], taken: ReturnType<typeof vi.spyOn>[] = []): EarlyReads {
    const ctx = { ingestedAt: INGESTED_AT, defaults: DEFAULTS };
    const e = readEarly(
      { kind: 'claude-code', count: 2 },
      paths,
      new Map(),
      ctx,
      optionsOf('claude-code', 2),
    )!;
    taken.push(vi.spyOn(e.reads, 'next'));
    return e;
  }

  it('reads started before the ledger was open are used when its state is the one they were planned from', async () => {
    const [, find] = CASES[0];
    const paths = await find();
    const taken: ReturnType<typeof vi.spyOn>[] = [];
    const early = await run('claude-code', [paths], 2, () => readsFromEmpty(paths, taken));
    expect(early).toEqual(await run('claude-code', [paths], null));
    expect(taken[0]).toHaveBeenCalledTimes(paths.length);
  });

  it('and are dropped when the ledger has moved on since: nothing is read twice', async () => {
    const [, find] = CASES[0];
    const paths = await find();
    const spies: ReturnType<typeof vi.spyOn>[] = [];
    // Both imports are offered reads planned from an empty ledger; the second import's ledger already has the files.
    const r = await run('claude-code', [paths, paths], 2, () => readsFromEmpty(paths, spies));
    expect(spies[0]).toHaveBeenCalledTimes(paths.length);
    expect(spies[1]).not.toHaveBeenCalled();
    expect(r.summaries[1]).toMatchObject({ unchangedFiles: paths.length, lines: 0, events: 0, imported: 0 });
  });

  it('a file that cannot be read fails the import with the reason, as in-thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-read-workers-'));
    const paths = Array.from({ length: 4 }, (_, i) => join(dir, `${i}.jsonl`));
    for (const p of paths) writeFileSync(p, '{}\n');
    const early = readsFromEmpty(paths);
    rmSync(paths[2]!); // after planning, before (or while) the workers read
    const store = await createDuckDbStore(':memory:');
    const pricer = await loadPricer({ cwd: tmpdir(), env: {} });
    // The ledger's state is the planned one (empty), so the early reads are used and the failure comes from them.
    const o = { ...optionsOf('claude-code', 2), readers: { kind: 'claude-code', count: 2, early } };
    await expect(importInto(store, pricer, 'claude-code', paths, o)).rejects.toThrow(`open '${paths[2]}'`);
    await store.close();
  });
});

describe('V8 flags set while running', () => {
  it('the young generation stays small once read workers have run, as each sets the kept flags again', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'tl-read-workers-')), 's.jsonl');
    writeFileSync(log, '{}\n');
    const url = (m: string) => JSON.stringify(new URL(m, import.meta.url).href);
    const young = youngGenerationAfter(`
      import { keepYoungGenerationSmall } from ${url('../../cli/young-generation.ts')};
      import { WorkerReads } from ${url('./read-in-workers.ts')};
      keepYoungGenerationSmall();
      const plan = { read: true, offset: 0, lineNo: 1, holdTail: false, check: null, parserState: null, mtimeMs: 0 };
      const reads = new WorkerReads({ kind: 'claude-code', workers: 1 },
        [{ path: ${JSON.stringify(log)}, plan, bytes: 3 }], { ingestedAt: 0 }, { mode: 'append', judge: true });
      await reads.next();`);
    expect(young).toBeLessThanOrEqual(4 * 2 ** 20);
  });
});
