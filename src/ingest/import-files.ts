import { closeSync, openSync, type Stats, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { UnpricedEvent } from '../ledger/event.js';
import { decompressedLog, isCompressedLog } from '../sources/read-lines.js';
import type { LineSource, Sink, Skip } from '../sources/source.js';
import type { FileState } from '../store/import-records.js';
import { createBatcher, type ImportDeps } from './batcher.js';
import { type FileFacts, planFile, type ResumeMode } from './file-plan.js';
import { type ReadOptions, type ReadPlan, type ReadResult, readFile, tailHash } from './read-file.js';
import { addSummary, emptySummary, type ImportSummary, recordSkip } from './summary.js';
import { importInWorker, type WorkerSourceId } from './worker/import-in-worker.js';
import { type FileRead, type PlannedRead, readWorkersFor, WorkerReads } from './worker/read-in-workers.js';

export type { ImportDeps } from './batcher.js';
export { emptySummary, type ImportSummary } from './summary.js';

export interface FileImportOptions {
  /** How a re-import treats files already read (file-plan.ts). Default `always`. */
  mode?: ResumeMode;
  /**
   * Lines with bytes that are not UTF-8 go to the parser (decoded with U+FFFD), which reports them only where the
   * bad bytes matter — JSON syntax, or a value it keeps. Otherwise the pipeline skips them as SRC_NOT_UTF8.
   */
  parserJudgesEncoding?: boolean;
  /** Lines without this text that look like one JSON object are not decoded or parsed (read-lines.ts). */
  skipUnless?: string;
  /** Read every file from the start as if never imported (`--full`); the state is still saved afterwards. */
  ignoreState?: boolean;
  /**
   * Canonical sources only: parse, validate and price in a worker thread (worker/) while this thread stores. Used
   * when `deps.workerPricing` says how the worker gets its pricer and the files are read whole (`always`).
   */
  worker?: WorkerSourceId;
  /** Other sources: read and parse in worker threads (worker/read-in-workers.ts) when there is enough to read. */
  readers?: ReadersOption;
}

/** How agent logs and provider exports are read in worker threads (worker/read-in-workers.ts). */
export interface ReadersOption {
  /** The IMPORT_KINDS key of the source: a worker loads the parser itself. */
  kind: string;
  /** How many workers; by default two for 128 MiB or more on two cores or more, else none (this thread). */
  count?: number;
  /** Reads started before the ledger was open; used only if they were planned from the state the ledger has. */
  early?: EarlyReads | null;
}

/** The files an import reads, and from where, given the import state before it (file-plan.ts). */
export interface ImportPlan {
  files: number;
  unchanged: number;
  resumed: number;
  reads: { path: string; facts: FileFacts; plan: ReadPlan }[];
  /**
   * Files that could not be opened: gone since they were found (an agent pruning old sessions) or not readable by
   * this user. Reported as SRC_UNREADABLE; no state is saved for them, so the next import tries them again.
   */
  unreadable: { path: string; reason: string }[];
}

export function planImport(
  paths: readonly string[],
  states: ReadonlyMap<string, FileState>,
  mode: ResumeMode,
  nowMs: number,
): ImportPlan {
  const out: ImportPlan = { files: 0, unchanged: 0, resumed: 0, reads: [], unreadable: [] };
  const cannotOpen = (path: string, e: unknown) =>
    out.unreadable.push({
      path,
      reason: `cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check that it exists and this user may read it`,
    });
  for (const path of new Set(paths.map((p) => resolve(p)))) {
    let s: Stats;
    try {
      s = statSync(path);
    } catch (e) {
      cannotOpen(path, e);
      continue;
    }
    const facts = { size: s.size, mtimeMs: s.mtimeMs };
    let plan = planFile(mode, facts, states.get(path), nowMs);
    if (!plan.read) {
      out.files++;
      out.unchanged++;
      continue;
    }
    // Opened here, not first when read, so a file this user may not read is reported instead of ending the import.
    try {
      closeSync(openSync(path, 'r'));
    } catch (e) {
      cannotOpen(path, e);
      continue;
    }
    // A compressed log is decompressed here too: a damaged one is reported, and the other files are read.
    if (isCompressedLog(path)) {
      try {
        decompressedLog(path);
      } catch (e) {
        out.unreadable.push({
          path,
          reason: `${(e as Error).message}; the compressed log was not read`,
        });
        continue;
      }
    }
    out.files++;
    if (plan.offset > 0 && tailHash(path, plan.offset) !== plan.check)
      plan = { ...plan, offset: 0, lineNo: 1, check: null, parserState: null };
    if (plan.offset > 0) out.resumed++;
    out.reads.push({ path, facts, plan });
  }
  return out;
}

/** Worker reads started from the import state as known before the ledger was opened (cli/import.ts). */
export interface EarlyReads {
  states: ReadonlyMap<string, FileState>;
  plan: ImportPlan;
  ctx: ReadContext;
  reads: WorkerReads;
}

type ReadContext = Pick<ImportDeps, 'ingestedAt' | 'defaults'>;

/**
 * Starts reading `paths` in workers before the ledger is open, from `states` (the state cache, or none for a new
 * ledger): loading DuckDB and opening the ledger then overlap the reading. Null when there is too little to read
 * for workers to pay. importFiles uses the reads only if the ledger's state turns out the same.
 */
export function readEarly(
  readers: Omit<ReadersOption, 'early'>,
  paths: readonly string[],
  states: ReadonlyMap<string, FileState>,
  ctx: ReadContext,
  o: FileImportOptions,
): EarlyReads | null {
  const mode = o.mode ?? 'always';
  const from = o.ignoreState ? new Map<string, FileState>() : states;
  const plan = planImport(paths, from, mode, Date.now());
  const n = readers.count ?? readWorkersFor(bytesToRead(plan));
  if (n === 0 || plan.reads.length === 0) return null;
  const reads = new WorkerReads({ ...readers, workers: n }, plannedReads(plan), ctx, readOptions(o));
  return { states: from, plan, ctx, reads };
}

/**
 * Streams files through a source's parser into the ledger. A bad line is counted and skipped; it never stops the
 * import. With a `mode` other than `always` and a store that keeps import state, unchanged files are not opened and
 * grown ones are read on from where the last import stopped (file-plan.ts); the state is saved only after the
 * events are stored, so an interrupted import reads the same lines again and the store drops the repeats. With
 * `readers`, enough bytes are read and parsed by worker threads while this thread prices and stores, file by file
 * in the same order, with the same counts.
 */
export async function importFiles(
  source: LineSource,
  paths: readonly string[],
  deps: ImportDeps,
  o: FileImportOptions = {},
): Promise<ImportSummary> {
  const mode = o.mode ?? 'always';
  const summary = emptySummary();
  const batcher = createBatcher(deps, summary);
  const records = mode === 'always' ? undefined : deps.store.records;
  const states =
    records && !o.ignoreState ? await records.fileStates(source.id) : new Map<string, FileState>();
  const early = o.readers?.early ?? null;
  const reuse = early !== null && sameContext(early.ctx, deps) && sameStates(early.states, states, paths);
  if (early && !reuse) await early.reads.stop();
  const planned = reuse
    ? early.plan
    : planImport(paths, states, records ? mode : 'always', deps.nowMs ?? Date.now());
  summary.files += planned.files;
  summary.unchangedFiles += planned.unchanged;
  summary.resumedFiles += planned.resumed;
  for (const u of planned.unreadable)
    recordSkip(summary, { ref: u.path, code: 'SRC_UNREADABLE', reason: u.reason });
  const plans = planned.reads;

  if (plans.length > 0) await deps.beforeRead?.();
  const appendPrepared = deps.store.appendPrepared?.bind(deps.store);
  if (o.worker && deps.workerPricing && appendPrepared && mode === 'always') {
    if (plans.length > 0) {
      const files = plans.map((p) => ({ path: p.path, size: p.facts.size }));
      await importInWorker(
        o.worker,
        files,
        deps,
        appendPrepared,
        deps.workerPricing,
        o.parserJudgesEncoding === true,
        summary,
      );
    }
    return summary;
  }
  const total = bytesToRead(planned);
  const lines = readOptions(o);
  const workers = o.readers && plans.length > 0 ? (o.readers.count ?? readWorkersFor(total)) : 0;
  const reads = reuse
    ? early.reads
    : workers > 0
      ? new WorkerReads({ ...o.readers!, workers }, plannedReads(planned), readContext(deps), lines)
      : null;
  const sink: Sink = {
    event: batcher.add,
    skip: (s: Skip) => recordSkip(summary, s),
    cost: batcher.cost,
    activity: batcher.activity,
  };
  let saved: FileState[] = [];
  let savedAt = Date.now();
  const saveEvery = deps.saveStatesEveryMs ?? SAVE_STATES_EVERY_MS;
  let doneBefore = 0;
  try {
    for (const planned of plans) {
      const { path, facts, plan } = planned;
      // A compressed log's offsets are in its decompressed text, larger than the file the total counts.
      const progress = (end: number) =>
        deps.onProgress?.(doneBefore + Math.min(end - plan.offset, toRead(planned)), total);
      const r = reads
        ? await storeRead(await reads.next(), summary, batcher)
        : await readFile(source, path, plan, lines, deps, sink, summary, batcher.maybeFlush, progress);
      doneBefore += toRead(planned);
      deps.onProgress?.(doneBefore, total);
      if (r.heldBack) summary.heldBackFiles++;
      if (records) {
        const whole = mode !== 'append';
        saved.push({
          source: source.id,
          path,
          size: facts.size,
          mtimeMs: facts.mtimeMs,
          offset: whole ? 0 : r.offset,
          lineNo: whole ? 1 : r.lineNo,
          check: whole || r.offset === 0 ? null : tailHash(path, r.offset),
          heldBack: r.heldBack,
          importedAt: deps.ingestedAt,
          parserState: whole ? null : r.parserState,
        });
        // A file's state is saved once its events are stored, never before: read again, it adds only duplicates.
        if (Date.now() - savedAt >= saveEvery) {
          await batcher.flush();
          await records.saveFileStates(saved);
          saved = [];
          savedAt = Date.now();
        }
      }
    }
  } catch (e) {
    await reads?.stop();
    throw e;
  }
  await batcher.flush();
  if (records) await records.saveFileStates(saved);
  return summary;
}

/**
 * How often an import saves the state of the files it has read (ImportDeps.saveStatesEveryMs): an interrupted import
 * of months of logs then reads again at most a second of them, and each save (a flush that pauses the overlap of
 * parsing and storing, and one statement) is rare enough not to slow the import.
 */
const SAVE_STATES_EVERY_MS = 1000;

/** A file a worker read, priced and batched here as the in-thread reading would have: same order, same counts. */
async function storeRead(
  read: FileRead,
  summary: ImportSummary,
  batcher: ReturnType<typeof createBatcher>,
): Promise<ReadResult> {
  addSummary(summary, read.summary);
  for (const e of read.events) {
    batcher.add(e);
    const flushing = batcher.maybeFlush();
    if (flushing) await flushing;
  }
  for (const r of read.costs) batcher.cost(r);
  for (const r of read.activity) batcher.activity(r);
  await batcher.maybeFlush();
  return read.result;
}

function readOptions(o: FileImportOptions): ReadOptions {
  return { mode: o.mode ?? 'always', judge: o.parserJudgesEncoding === true, skipUnless: o.skipUnless };
}

/** Bytes of a planned file from where its read starts. */
const toRead = (r: ImportPlan['reads'][number]): number => Math.max(0, r.facts.size - r.plan.offset);

function bytesToRead(p: ImportPlan): number {
  return p.reads.reduce((a, r) => a + toRead(r), 0);
}

function plannedReads(p: ImportPlan): PlannedRead[] {
  return p.reads.map((r) => ({ path: r.path, plan: r.plan, bytes: toRead(r) }));
}

function readContext(deps: ReadContext): ReadContext {
  return { ingestedAt: deps.ingestedAt, defaults: deps.defaults };
}

function sameContext(a: ReadContext, b: ReadContext): boolean {
  return (
    a.ingestedAt === b.ingestedAt && JSON.stringify(a.defaults ?? {}) === JSON.stringify(b.defaults ?? {})
  );
}

/** Whether each of `paths` has the same import state in both (what its plan was made from). */
function sameStates(
  a: ReadonlyMap<string, FileState>,
  b: ReadonlyMap<string, FileState>,
  paths: readonly string[],
): boolean {
  const key = (s: FileState | undefined) =>
    s === undefined
      ? ''
      : JSON.stringify([s.size, s.mtimeMs, s.offset, s.lineNo, s.check, s.heldBack, s.parserState]);
  return paths.every((p) => key(a.get(resolve(p))) === key(b.get(resolve(p))));
}

/** Events from a generator (the demo organisation) into the ledger, with the same pricing and counting. */
export async function importEvents(
  events: Iterable<UnpricedEvent>,
  expected: number,
  deps: ImportDeps,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const batcher = createBatcher(deps, summary);
  let reported = 0;
  for (const e of events) {
    batcher.add(e);
    const pending = batcher.maybeFlush();
    if (pending) {
      await pending;
      if (summary.events - reported >= 10_000) {
        reported = summary.events;
        deps.onProgress?.(summary.events, expected);
      }
    }
  }
  await batcher.flush();
  deps.onProgress?.(summary.events, summary.events);
  return summary;
}
