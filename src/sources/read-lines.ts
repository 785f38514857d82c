import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

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
}

export interface ReadFrom {
  /** Byte offset to start at (the start of a line); 0 by default. */
  offset?: number;
  /** Line number of the line at `offset`, for messages; 1 by default. */
  lineNo?: number;
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
 * Lines of a file, streamed in 1 MiB reads with flat memory. Splitting on the byte 0x0A is safe in UTF-8 (it never
 * occurs inside a multi-byte character). A chunk that is valid UTF-8 — the common, fast case — is decoded once;
 * only a chunk that is not is decoded line by line to mark the lines with bad bytes. A last line without a newline is still
 * yielded (`end` is then the file size): a truncated write is the parser's to judge, not ours to drop.
 */
export async function* readLines(path: string, from: ReadFrom = {}): AsyncGenerator<Line> {
  const fh = await open(path, 'r');
  const buf = pool.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    const split = splitter(from);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, split.position);
      const more = yield* split.take(buf, bytesRead);
      if (!more) return;
    }
  } finally {
    if (pool.length < 4) pool.push(buf);
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
  const fd = openSync(path, 'r');
  const buf = pool.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    const split = splitter(from);
    for (;;) {
      const more = yield* split.take(buf, readSync(fd, buf, 0, CHUNK, split.position));
      if (!more) return;
    }
  } finally {
    if (pool.length < 4) pool.push(buf);
    closeSync(fd);
  }
}

/** Turns successive reads into lines, carrying a partial last line into the next read. */
function splitter(from: ReadFrom) {
  let position = from.offset ?? 0;
  let lineNo = from.lineNo ?? 1;
  let carry: Buffer = Buffer.alloc(0);
  const needle = from.skipUnless === undefined ? null : Buffer.from(from.skipUnless);
  return {
    get position() {
      return position;
    },
    /** Lines of the next `bytesRead` bytes of `buf`; returns false at the end of the file. */
    *take(buf: Buffer, bytesRead: number): Generator<Line, boolean> {
      const eof = bytesRead === 0;
      const data = eof
        ? carry
        : carry.length
          ? Buffer.concat([carry, buf.subarray(0, bytesRead)])
          : buf.subarray(0, bytesRead);
      const chunkStart = position - carry.length;
      position += bytesRead;
      const lastNl = eof ? data.length - 1 : data.lastIndexOf(10);
      if (lastNl < 0 && !eof) {
        carry = Buffer.from(data);
        return true;
      }
      const complete = eof ? data : data.subarray(0, lastNl + 1);
      yield* splitChunk(complete, chunkStart, lineNo, needle);
      lineNo +=
        countNewlines(complete) + (eof && complete.length && complete[complete.length - 1] !== 10 ? 1 : 0);
      if (eof) return false;
      carry = Buffer.from(data.subarray(lastNl + 1));
      return true;
    },
  };
}

function* splitChunk(bytes: Buffer, base: number, firstLine: number, needle: Buffer | null): Generator<Line> {
  if (bytes.length === 0) return;
  let lineNo = firstLine;
  const valid = isUtf8(bytes);
  if (valid && needle) {
    yield* filterChunk(bytes, base, firstLine, needle);
    return;
  }
  if (valid) {
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
  let hit = bytes.indexOf(needle);
  while (start < bytes.length) {
    let nl = bytes.indexOf(10, start);
    if (nl < 0) nl = bytes.length;
    const end = base + Math.min(nl + 1, bytes.length);
    if (hit >= 0 && hit < start) hit = bytes.indexOf(needle, start);
    const wanted = hit >= 0 && hit < nl;
    if (!wanted && objectShaped(bytes, start, nl)) {
      yield { text: '', lineNo: lineNo++, end, badUtf8: false, skipped: true };
    } else {
      // A byte-order mark opens a file at most; TextDecoder would drop it, Buffer#toString keeps it.
      const from =
        base === 0 && start === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
      yield {
        text: stripCr(bytes.toString('utf8', start + from, nl)),
        lineNo: lineNo++,
        end,
        badUtf8: false,
      };
    }
    start = nl + 1;
  }
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
