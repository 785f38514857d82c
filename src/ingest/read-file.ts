/**
 * Reading one planned file through a source's parser: what importFiles does per file, on its own thread or in a
 * read worker (worker/read-worker.ts). Synchronous reads; the only awaits are the caller's `maybeFlush`.
 */
import { createHash } from 'node:crypto';
import { isCompressedLog, type Line, openLog, readLinesSync, tooLongSkip } from '../sources/read-lines.js';
import { isResumable } from '../sources/resumable.js';
import type { LineParser, LineSource, ParseContext, Sink } from '../sources/source.js';
import type { FilePlan, ResumeMode } from './file-plan.js';
import type { ImportSummary } from './summary.js';

/** Bytes before the resume offset whose hash must match for a later import to read on (else the file was rewritten). */
const CHECK_BYTES = 4096;

export type ReadPlan = Extract<FilePlan, { read: true }>;

/** How the lines of a kind's files are read (kinds.ts). */
export interface ReadOptions {
  mode: ResumeMode;
  /** Lines that are not UTF-8 go to the parser instead of being skipped as SRC_NOT_UTF8. */
  judge: boolean;
  /** Lines without this text that look like one JSON object are not decoded (read-lines.ts). */
  skipUnless?: string;
}

/** Where the next import of a file starts, and whether anything from there on was held back. */
export interface ReadResult {
  offset: number;
  lineNo: number;
  heldBack: boolean;
  parserState: string | null;
}

/**
 * Feeds the file's lines from `plan.offset` to a parser of `source`, counting lines and bytes in `summary`. With
 * `mode` append, returns where the next import resumes: after the last whole line, or at the first line of what the
 * parser or a still-unterminated last line held back.
 */
export async function readFile(
  source: LineSource,
  path: string,
  plan: ReadPlan,
  { mode, judge, skipUnless }: ReadOptions,
  ctx: Omit<ParseContext, 'path'>,
  sink: Sink,
  summary: ImportSummary,
  maybeFlush: () => Promise<void> | undefined,
  progress: (end: number) => void,
): Promise<ReadResult> {
  const parseCtx = { path, ingestedAt: ctx.ingestedAt, defaults: ctx.defaults, savedAt: plan.mtimeMs * 1000 };
  const resumable = mode === 'append' && isResumable(source);
  const parser: LineParser & { resumeLine?: () => number | null; state?: () => string | null } = resumable
    ? source.openResumable(parseCtx, sink, { holdTail: plan.holdTail, state: plan.parserState })
    : source.open(parseCtx, sink);
  const feed = (line: Line) => {
    summary.lines++;
    if (line.skipped) return parser.skipped?.(line.lineNo);
    if (line.tooLong) {
      sink.skip(tooLongSkip(path, line.lineNo));
      return parser.skipped?.(line.lineNo);
    }
    if (line.badUtf8 && !judge)
      sink.skip({ ref: `${path}:${line.lineNo}`, code: 'SRC_NOT_UTF8', reason: 'line is not valid UTF-8' });
    else parser.line(line.text, line.lineNo);
  };
  // Start offset of every line read, to turn the parser's resume line into a byte offset.
  const starts: number[] = [];
  let pos = plan.offset;
  let prev: Line | null = null;
  let lastReport = plan.offset;
  // A log is read up to the size it had when planned: whether its tail may still change (holdTail) was judged from
  // its modification time then, and an agent that resumes a settled session meanwhile writes a response whose first
  // lines carry placeholder counts, which read now would be stored as final. Its lines are the next import's.
  // Files read whole may be rewritten, not only grown, and are read as they are.
  const end = mode === 'append' && !isCompressedLog(path) ? plan.size : undefined;
  // Lines are fed one behind, so the last one can be judged (terminated or not) before the parser sees it.
  for (const line of readLinesSync(path, { offset: plan.offset, lineNo: plan.lineNo, end, skipUnless })) {
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
  const appends = mode === 'append' || source.appendsLines?.(path) === true;
  const holdLine = unterminated && plan.holdTail && appends;
  if (prev && !holdLine) feed(prev);
  // Only a line without its newline can be cut mid-write (SRC_TRUNCATED); a complete one that fails is a bad line.
  parser.end(unterminated && !holdLine);
  await maybeFlush();
  summary.bytes += (holdLine && prev ? starts.at(-1)! : pos) - plan.offset;
  // A file read whole is read whole again; a held line only marks it to be read once it has settled.
  if (mode !== 'append') return { offset: 0, lineNo: 1, heldBack: holdLine, parserState: null };
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
export function tailHash(path: string, offset: number): string | null {
  if (offset === 0) return null;
  const from = Math.max(0, offset - CHECK_BYTES);
  const b = Buffer.alloc(offset - from);
  const n = readAt(path, b, from);
  return createHash('sha256').update(b.subarray(0, n)).digest('hex');
}

/** Reads into `b` from `position` (of the decompressed text, for a compressed log); returns the bytes read. */
function readAt(path: string, b: Buffer, position: number): number {
  const log = openLog(path);
  try {
    return log.read(b, 0, b.length, position);
  } finally {
    log.close();
  }
}
