import { constants, isUtf8 } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { decompress } from 'fzstd';
import type { Skip } from './source.js';

export interface Line {
  text: string;
  /** 1-based line number in the file. */
  lineNo: number;
  /** Byte offset just past this line's newline (where the next line starts). */
  end: number;
  /** The line's bytes were not valid UTF-8 (text holds U+FFFD replacements). */
  badUtf8: boolean;
  /** Filtered out by `skipUnless`: not decoded, `text` is empty. */
  skipped?: boolean;
  /** More bytes than a JavaScript string can hold (`MAX_LINE_BYTES`): not decoded, `text` is empty. */
  tooLong?: boolean;
}

/**
 * The longest line that is decoded: V8 strings hold at most ~2^29 UTF-16 units (512 MiB), and decoding a longer line
 * throws. A UTF-8 byte is at most one unit, so a line of this many bytes always fits; a longer one is yielded as
 * `tooLong` for the caller to report at its line, instead of ending the read of every file.
 */
export const MAX_LINE_BYTES = constants.MAX_STRING_LENGTH;

/** How a reader reports a line longer than MAX_LINE_BYTES; the rest of the file is read as usual. */
export function tooLongSkip(path: string, lineNo: number): Skip {
  return {
    ref: `${path}:${lineNo}`,
    code: 'SRC_LINE_TOO_LONG',
    reason: `line is longer than ${MAX_LINE_BYTES} bytes, more than a JavaScript string can hold; it was not read`,
  };
}

export interface ReadFrom {
  /** Byte offset to start at (the start of a line); 0 by default. */
  offset?: number;
  /** Line number of the line at `offset`, for messages; 1 by default. */
  lineNo?: number;
  /**
   * Byte offset to stop at, as if the file ended there (the end of the file by default). Not for a compressed log,
   * whose offsets are those of its decompressed text.
   */
  end?: number;
  /**
   * Text every wanted line contains (Claude Code: `"usage"`). A valid UTF-8 line without it whose bytes have the
   * shape of one JSON object (`{` … `}`) is yielded as `skipped`, without being decoded: most of a log's bytes are
   * prompts and tool output the caller would only throw away. Lines of any other shape are decoded as usual, so a
   * cut or broken line still reaches the parser to be reported.
   */
  skipUnless?: string;
}

const CHUNK = 1 << 20;
/**
 * Read buffers are reused across files: a fresh 1 MiB buffer per file is freed only by a full GC, and an import of
 * a few hundred logs held ~50-130 MB of them at once. Lines never keep a reference (their text is a copy).
 */
const pool: Buffer[] = [];
const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/**
 * Whether a log is zstd-compressed. Codex compresses rollouts a week old in place, `rollout-….jsonl` becoming
 * `rollout-….jsonl.zst` (openai/codex codex-rs/rollout/src/compression.rs: COMPRESSED_SUFFIX, MIN_ROLLOUT_AGE), and
 * reads both transparently. Lines, offsets and line numbers of such a file are those of its decompressed text.
 */
export function isCompressedLog(path: string): boolean {
  return /\.zst$/i.test(path);
}

/** The last file decompressed: a compressed log is read whole, then its lines, last byte and tail hash are taken. */
let decompressed: { path: string; size: number; mtimeMs: number; bytes: Buffer } | null = null;

/**
 * The decompressed bytes of a `.zst` log, in memory: Codex compresses only cold rollouts, each read once per import.
 * Throws with the reason when the file is not valid zstd.
 */
export function decompressedLog(path: string): Buffer {
  const { size, mtimeMs } = statSync(path);
  const c = decompressed;
  if (c && c.path === path && c.size === size && c.mtimeMs === mtimeMs) return c.bytes;
  let out: Uint8Array;
  try {
    out = decompress(readFileSync(path));
  } catch (e) {
    throw new Error(`not a valid zstd file (${e instanceof Error ? e.message : String(e)})`);
  }
  const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  decompressed = { path, size, mtimeMs, bytes };
  return bytes;
}

/** Positioned reads of a log's bytes: the file's own, or the decompressed text of a `.zst` log. */
export interface LogReader {
  read(buf: Buffer, offset: number, length: number, position: number): number;
  close(): void;
}

export function openLog(path: string): LogReader {
  if (isCompressedLog(path)) {
    const bytes = decompressedLog(path);
    return {
      read: (buf, offset, length, position) =>
        position >= bytes.length
          ? 0
          : bytes.copy(buf, offset, position, Math.min(bytes.length, position + length)),
      close: () => {},
    };
  }
  const fd = openSync(path, 'r');
  return {
    read: (buf, offset, length, position) => readSync(fd, buf, offset, length, position),
    close: () => closeSync(fd),
  };
}

/**
 * Lines of a file, streamed in 1 MiB reads with flat memory. Splitting on the byte 0x0A is safe in UTF-8 (it never
 * occurs inside a multi-byte character). A chunk that is valid UTF-8 — the common, fast case — is decoded once;
 * only a chunk that is not is decoded line by line to mark the lines with bad bytes. A last line without a newline is still
 * yielded (`end` is then the file size): a truncated write is the parser's to judge, not ours to drop.
 */
export async function* readLines(path: string, from: ReadFrom = {}): AsyncGenerator<Line> {
  if (isCompressedLog(path)) {
    yield* readLinesSync(path, from);
    return;
  }
  const fh = await open(path, 'r');
  const chunks = new Chunker(from);
  const needle = from.skipUnless === undefined ? null : Buffer.from(from.skipUnless);
  try {
    for (;;) {
      const { buf, offset, length, position } = chunks.nextRead();
      const { bytesRead } = await fh.read(buf, offset, length, position);
      const { chunk, done } = chunks.take(bytesRead);
      if (chunk) yield* linesOf(chunk, needle);
      if (done) return;
    }
  } finally {
    chunks.release();
    await fh.close();
  }
}

/**
 * `readLines` with blocking reads, for imports. Async reads go through libuv's thread pool, one hop per 1 MiB: a worker
 * reading that way waited on DuckDB's calls, which hold the pool too (a 200k-event import in a worker was no faster
 * than on one thread, 5.5 s against 4.0 s with a bigger pool), and on the main thread the hops made reading and
 * filtering 300 MB of Claude Code logs take 550 ms against 300 ms. A 1 MiB read from the page cache blocks for
 * ~0.1 ms, and the importer yields to the event loop whenever an append it waits on is in flight.
 */
export function* readLinesSync(path: string, from: ReadFrom = {}): Generator<Line> {
  const needle = from.skipUnless === undefined ? null : Buffer.from(from.skipUnless);
  for (const chunk of readChunksSync(path, from)) yield* linesOf(chunk, needle);
}

/** Whole lines of a file, as bytes: what readLinesSync splits. */
export interface Chunk {
  /** Whole lines, the last one with its newline unless it ends the file. Valid until the next chunk is read. */
  bytes: Buffer;
  /** File offset of bytes[0]. */
  base: number;
  /** Line number of the chunk's first line. */
  firstLine: number;
  /** Whether `bytes` is valid UTF-8 (checked once for the chunk). */
  valid: boolean;
}

/**
 * A file in chunks of whole lines, 1 MiB reads with flat memory, carrying a partial last line into the next read.
 * For a caller that reads lines from their bytes, and hands the others to `linesOf`.
 */
export function* readChunksSync(path: string, from: ReadFrom = {}): Generator<Chunk> {
  const log = openLog(path);
  const chunks = new Chunker(from);
  try {
    for (;;) {
      const { buf, offset, length, position } = chunks.nextRead();
      const { chunk, done } = chunks.take(length === 0 ? 0 : log.read(buf, offset, length, position));
      if (chunk) yield chunk;
      if (done) return;
    }
  } finally {
    chunks.release();
    log.close();
  }
}

/**
 * Turns successive reads into chunks of whole lines. Each read goes into one buffer after the partial line the last
 * one ended with, which is moved to the front first: no read is copied whole (a Buffer.concat per read copied every
 * byte of a file once more). A line longer than the buffer grows it.
 */
class Chunker {
  private buf: Buffer = pool.pop() ?? Buffer.allocUnsafe(CHUNK);
  /** File offset of the next read. */
  private position: number;
  private lineNo: number;
  /** File offset reads stop at (ReadFrom.end). */
  private readonly end: number;
  /** buf[from, to) is the partial line to move to the front before the next read. */
  private tailFrom = 0;
  private tailTo = 0;

  constructor(from: ReadFrom) {
    this.position = from.offset ?? 0;
    this.lineNo = from.lineNo ?? 1;
    this.end = from.end ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Where the next read goes (into buf from offset, at most length bytes, from the file at position); the last
   * chunk is then gone. A length of 0 is the end of the file.
   */
  nextRead(): { buf: Buffer; offset: number; length: number; position: number } {
    const carried = this.tailTo - this.tailFrom;
    if (carried === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, this.tailFrom, this.tailTo);
      this.buf = bigger;
    } else this.buf.copyWithin(0, this.tailFrom, this.tailTo);
    this.tailFrom = 0;
    this.tailTo = carried;
    const length = Math.max(0, Math.min(this.buf.length - carried, this.end - this.position));
    return { buf: this.buf, offset: carried, length, position: this.position };
  }

  /** The whole lines the carried bytes and the next `bytesRead` make (none yet: null); done at the end of the file. */
  take(bytesRead: number): { chunk: Chunk | null; done: boolean } {
    const carried = this.tailTo;
    const total = carried + bytesRead;
    const base = this.position - carried;
    this.position += bytesRead;
    const eof = bytesRead === 0;
    // At the end of the file, a last line without its newline is a line too.
    const lastNl = eof ? total - 1 : this.buf.lastIndexOf(10, total - 1);
    if (lastNl < carried && !eof) {
      this.tailTo = total;
      return { chunk: null, done: false };
    }
    const bytes = this.buf.subarray(0, lastNl + 1);
    this.tailFrom = lastNl + 1;
    this.tailTo = total;
    const chunk = bytes.length > 0 ? { bytes, base, firstLine: this.lineNo, valid: isUtf8(bytes) } : null;
    if (!eof) this.lineNo += countNewlines(bytes);
    return { chunk, done: eof };
  }

  release(): void {
    if (pool.length < 4 && this.buf.length === CHUNK) pool.push(this.buf);
  }
}

/** The lines of a chunk; with `needle`, as `skipUnless` in ReadFrom. */
export function linesOf(chunk: Chunk, needle: Buffer | null = null): Generator<Line> {
  return splitChunk(chunk.bytes, chunk.base, chunk.firstLine, needle, chunk.valid);
}

/** The text of the line `bytes[start, end)` (without its newline), as readLines gives it. */
export function lineText(bytes: Buffer, start: number, end: number, atFileStart: boolean): string {
  // A byte-order mark opens a file at most; TextDecoder would drop it, Buffer#toString keeps it.
  const from =
    atFileStart && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf ? 3 : 0;
  return stripCr(bytes.toString('utf8', start + from, end));
}

function* splitChunk(
  bytes: Buffer,
  base: number,
  firstLine: number,
  needle: Buffer | null,
  valid: boolean,
): Generator<Line> {
  if (bytes.length === 0) return;
  let lineNo = firstLine;
  if (valid && needle) {
    yield* filterChunk(bytes, base, firstLine, needle);
    return;
  }
  if (valid && bytes.length <= MAX_LINE_BYTES) {
    // One decode for the whole chunk. The k-th newline of the text is the k-th 0x0A of the bytes, so walking both
    // gives each line's text and its byte end without decoding line by line (most logs are not pure ASCII).
    const text = bytes.toString('utf8');
    // TextDecoder drops a byte-order mark; Buffer#toString keeps it, and JSON.parse would choke on it.
    let start = base === 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
    let byteNl = -1;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (start < text.length)
          yield { text: stripCr(text.slice(start)), lineNo, end: base + bytes.length, badUtf8: false };
        return;
      }
      byteNl = bytes.indexOf(10, byteNl + 1);
      yield {
        text: stripCr(text.slice(start, nl)),
        lineNo: lineNo++,
        end: base + byteNl + 1,
        badUtf8: false,
      };
      start = nl + 1;
    }
  }
  let start = 0;
  while (start < bytes.length) {
    let nl = bytes.indexOf(10, start);
    const last = nl < 0;
    if (last) nl = bytes.length;
    const slice = bytes.subarray(start, nl);
    if (slice.length > MAX_LINE_BYTES) {
      yield { text: '', lineNo: lineNo++, end: base + (last ? nl : nl + 1), badUtf8: false, tooLong: true };
      start = nl + 1;
      continue;
    }
    let lineText: string;
    let badUtf8 = false;
    try {
      lineText = strict.decode(slice);
    } catch {
      lineText = lenient.decode(slice);
      badUtf8 = true;
    }
    yield { text: stripCr(lineText), lineNo: lineNo++, end: base + (last ? nl : nl + 1), badUtf8 };
    start = nl + 1;
  }
}

/** Valid UTF-8 lines, decoding only those that contain `needle` or do not look like one JSON object. */
function* filterChunk(bytes: Buffer, base: number, firstLine: number, needle: Buffer): Generator<Line> {
  let lineNo = firstLine;
  let start = 0;
  let hit = indexOfNeedle(bytes, needle, 0);
  while (start < bytes.length) {
    let nl = bytes.indexOf(10, start);
    if (nl < 0) nl = bytes.length;
    const end = base + Math.min(nl + 1, bytes.length);
    if (hit >= 0 && hit < start) hit = indexOfNeedle(bytes, needle, start);
    const wanted = hit >= 0 && hit < nl;
    if (!wanted && objectShaped(bytes, start, nl)) {
      yield { text: '', lineNo: lineNo++, end, badUtf8: false, skipped: true };
    } else if (nl - start > MAX_LINE_BYTES) {
      yield { text: '', lineNo: lineNo++, end, badUtf8: false, tooLong: true };
    } else {
      yield {
        text: lineText(bytes, start, nl, base === 0 && start === 0),
        lineNo: lineNo++,
        end,
        badUtf8: false,
      };
    }
    start = nl + 1;
  }
}

/**
 * `bytes.indexOf(needle, from)`, found by its tail and then checked for its first byte: V8 searches a pattern of 7
 * bytes or more with Boyer-Moore-Horspool, whose skips stay short in JSON (Claude Code's `"usage"` ends in a quote,
 * the commonest byte), and a shorter one by memchr for its first byte. Over 300 MB of Claude Code logs, `usage"`
 * then the quote before it: 94-102 ms against 146-161 ms for `"usage"`, the same 31,620 places.
 */
function indexOfNeedle(bytes: Buffer, needle: Buffer, from: number): number {
  if (needle.length < 2) return bytes.indexOf(needle, from);
  const tail = needle.subarray(1);
  for (let i = bytes.indexOf(tail, from + 1); i >= 0; i = bytes.indexOf(tail, i + 1))
    if (bytes[i - 1] === needle[0]) return i - 1;
  return -1;
}

/** First non-blank byte `{` and last non-blank byte `}`. */
function objectShaped(bytes: Buffer, start: number, end: number): boolean {
  let a = start;
  let b = end - 1;
  while (a <= b && (bytes[a] === 0x20 || bytes[a] === 0x09)) a++;
  while (b >= a && (bytes[b] === 0x20 || bytes[b] === 0x09 || bytes[b] === 0x0d)) b--;
  return a < b && bytes[a] === 0x7b && bytes[b] === 0x7d;
}

function countNewlines(b: Buffer): number {
  let n = 0;
  let i = b.indexOf(10);
  while (i >= 0) {
    n++;
    i = b.indexOf(10, i + 1);
  }
  return n;
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
