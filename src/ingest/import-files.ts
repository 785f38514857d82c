import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { UnpricedEvent } from '../ledger/event.js';
import { type Line, readLinesSync } from '../sources/read-lines.js';
import { isResumable } from '../sources/resumable.js';
import type { LineParser, LineSource, Sink, Skip } from '../sources/source.js';
import type { FileState } from '../store/import-records.js';
import { createBatcher, type ImportDeps } from './batcher.js';
import { type FileFacts, type FilePlan, planFile, type ResumeMode } from './file-plan.js';
import { emptySummary, type ImportSummary, recordSkip } from './summary.js';
import { importInWorker, type WorkerSourceId } from './worker/import-in-worker.js';

export type { ImportDeps } from './batcher.js';
export { createBatcher } from './batcher.js';
export type { ResumeMode } from './file-plan.js';
export { emptySummary, type ImportSummary, recordSkip } from './summary.js';

/** Bytes before the resume offset whose hash must match for a later import to read on (else the file was rewritten). */
const CHECK_BYTES = 4096;

type ReadPlan = Extract<FilePlan, { read: true }>;

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
}

/**
 * Streams files through a source's parser into the ledger. A bad line is counted and skipped; it never stops the
 * import. With a `mode` other than `always` and a store that keeps import state, unchanged files are not opened and
 * grown ones are read on from where the last import stopped (file-plan.ts); the state is saved only after the
 * events are stored, so an interrupted import reads the same lines again and the store drops the repeats.
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
  const nowMs = deps.nowMs ?? Date.now();
  const files = [...new Set(paths.map((p) => resolve(p)))];
  const plans: { path: string; facts: FileFacts; plan: ReadPlan }[] = [];
  for (const path of files) {
    const s = statSync(path);
    const facts = { size: s.size, mtimeMs: s.mtimeMs };
    summary.files++;
    let plan = planFile(records ? mode : 'always', facts, states.get(path), nowMs);
    if (!plan.read) {
      summary.unchangedFiles++;
      continue;
    }
    if (plan.offset > 0 && tailHash(path, plan.offset) !== plan.check)
      plan = { ...plan, offset: 0, lineNo: 1, check: null, parserState: null };
    if (plan.offset > 0) summary.resumedFiles++;
    plans.push({ path, facts, plan });
  }

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
  const total = plans.reduce((a, p) => a + Math.max(0, p.facts.size - p.plan.offset), 0);
  const sink: Sink = {
    event: batcher.add,
    skip: (s: Skip) => recordSkip(summary, s),
    cost: batcher.cost,
    activity: batcher.activity,
  };
  const saved: FileState[] = [];
  let doneBefore = 0;
  for (const { path, facts, plan } of plans) {
    const progress = (end: number) => deps.onProgress?.(doneBefore + end - plan.offset, total);
    const r = await readFile(
      source,
      path,
      plan,
      { mode, judge: o.parserJudgesEncoding === true, skipUnless: o.skipUnless },
      deps,
      sink,
      summary,
      batcher.maybeFlush,
      progress,
    );
    doneBefore += Math.max(0, facts.size - plan.offset);
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
    }
  }
  await batcher.flush();
  if (records) await records.saveFileStates(saved);
  return summary;
}

/** Where the next import of a file starts, and whether anything from there on was held back. */
interface ReadResult {
  offset: number;
  lineNo: number;
  heldBack: boolean;
  parserState: string | null;
}

async function readFile(
  source: LineSource,
  path: string,
  plan: ReadPlan,
  { mode, judge, skipUnless }: { mode: ResumeMode; judge: boolean; skipUnless?: string },
  deps: ImportDeps,
  sink: Sink,
  summary: ImportSummary,
  maybeFlush: () => Promise<void> | undefined,
  progress: (end: number) => void,
): Promise<ReadResult> {
  const ctx = { path, ingestedAt: deps.ingestedAt, defaults: deps.defaults };
  const resumable = mode === 'append' && isResumable(source);
  const parser: LineParser & { resumeLine?: () => number | null; state?: () => string | null } = resumable
    ? source.openResumable(ctx, sink, { holdTail: plan.holdTail, state: plan.parserState })
    : source.open(ctx, sink);
  const feed = (line: Line) => {
    summary.lines++;
    if (line.skipped) return;
    if (line.badUtf8 && !judge)
      sink.skip({ ref: `${path}:${line.lineNo}`, code: 'SRC_NOT_UTF8', reason: 'line is not valid UTF-8' });
    else parser.line(line.text, line.lineNo);
  };
  // Start offset of every line read, to turn the parser's resume line into a byte offset.
  const starts: number[] = [];
  let pos = plan.offset;
  let prev: Line | null = null;
  let lastReport = plan.offset;
  // Lines are fed one behind, so the last one can be judged (terminated or not) before the parser sees it.
  for (const line of readLinesSync(path, { offset: plan.offset, lineNo: plan.lineNo, skipUnless })) {
    if (prev) feed(prev);
    starts.push(pos);
    pos = line.end;
    prev = line;
    // Awaited only when a batch is full: an await per line costs a microtask turn on every one of them.
    const flushing = maybeFlush();
    if (flushing) await flushing;
    if (line.end - lastReport > 1 << 20) {
      lastReport = line.end;
      progress(line.end);
    }
  }
  const unterminated = prev !== null && !endsWithNewline(path, prev.end);
  // A last line without its newline is probably still being written: keep it for the next import while the file
  // is fresh; once it has settled, feed it so the parser reports it (SRC_TRUNCATED).
  const holdLine = unterminated && plan.holdTail && mode === 'append';
  if (prev && !holdLine) feed(prev);
  parser.end();
  await maybeFlush();
  summary.bytes += (holdLine && prev ? starts.at(-1)! : pos) - plan.offset;
  if (mode !== 'append') return { offset: 0, lineNo: 1, heldBack: false, parserState: null };
  const fromParser = parser.resumeLine?.() ?? null;
  const parserState = parser.state?.() ?? null;
  const fromLine = unterminated && prev ? prev.lineNo : null;
  const at = minOf(fromParser, fromLine);
  if (at === null)
    return { offset: pos, lineNo: (prev?.lineNo ?? plan.lineNo - 1) + 1, heldBack: false, parserState };
  return {
    offset: starts[at - plan.lineNo]!,
    lineNo: at,
    heldBack: plan.holdTail && (fromParser !== null || holdLine),
    parserState,
  };
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function endsWithNewline(path: string, end: number): boolean {
  if (end === 0) return true;
  const b = Buffer.alloc(1);
  return readAt(path, b, end - 1) === 1 && b[0] === 0x0a;
}

/** SHA-256 of the CHECK_BYTES before `offset` (fewer at the start of a file). */
function tailHash(path: string, offset: number): string | null {
  if (offset === 0) return null;
  const from = Math.max(0, offset - CHECK_BYTES);
  const b = Buffer.alloc(offset - from);
  const n = readAt(path, b, from);
  return createHash('sha256').update(b.subarray(0, n)).digest('hex');
}

/** Reads into `b` from `position`; returns the bytes read. */
function readAt(path: string, b: Buffer, position: number): number {
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, b, 0, b.length, position);
  } finally {
    closeSync(fd);
  }
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
