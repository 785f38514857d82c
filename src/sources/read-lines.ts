import { open } from 'node:fs/promises';

export interface Line {
  text: string;
  /** 1-based line number in the file. */
  lineNo: number;
  /** Byte offset just past this line's newline (where the next line starts). */
  end: number;
  /** The line's bytes were not valid UTF-8 (text holds U+FFFD replacements). */
  badUtf8: boolean;
}

export interface ReadFrom {
  /** Byte offset to start at (the start of a line); 0 by default. */
  offset?: number;
  /** Line number of the line at `offset`, for messages; 1 by default. */
  lineNo?: number;
}

const CHUNK = 1 << 20;
const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/**
 * Lines of a file, streamed in 1 MiB reads with flat memory. Splitting on the byte 0x0A is safe in UTF-8 (it never
 * occurs inside a multi-byte character). Chunks are decoded strictly first — the common, fast case — and only a
 * chunk that fails is decoded line by line to mark the lines with bad bytes. A last line without a newline is still
 * yielded (`end` is then the file size): a truncated write is the parser's to judge, not ours to drop.
 */
export async function* readLines(path: string, from: ReadFrom = {}): AsyncGenerator<Line> {
  const fh = await open(path, 'r');
  try {
    let position = from.offset ?? 0;
    let lineNo = from.lineNo ?? 1;
    let carry: Buffer = Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, position);
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
        continue;
      }
      const complete = eof ? data : data.subarray(0, lastNl + 1);
      yield* splitChunk(complete, chunkStart, lineNo);
      lineNo +=
        countNewlines(complete) + (eof && complete.length && complete[complete.length - 1] !== 10 ? 1 : 0);
      if (eof) return;
      carry = Buffer.from(data.subarray(lastNl + 1));
    }
  } finally {
    await fh.close();
  }
}

function* splitChunk(bytes: Buffer, base: number, firstLine: number): Generator<Line> {
  if (bytes.length === 0) return;
  let text: string | null = null;
  try {
    text = strict.decode(bytes);
  } catch {
    text = null;
  }
  let lineNo = firstLine;
  if (text !== null && isAscii(bytes, text)) {
    // Byte offsets equal string offsets only for ASCII; that is most logs, and it lets us split the string.
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (start < text.length)
          yield { text: stripCr(text.slice(start)), lineNo, end: base + text.length, badUtf8: false };
        return;
      }
      yield { text: stripCr(text.slice(start, nl)), lineNo: lineNo++, end: base + nl + 1, badUtf8: false };
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
    if (text !== null) lineText = slice.toString('utf8');
    else {
      try {
        lineText = strict.decode(slice);
      } catch {
        lineText = lenient.decode(slice);
        badUtf8 = true;
      }
    }
    yield { text: stripCr(lineText), lineNo: lineNo++, end: base + (last ? nl : nl + 1), badUtf8 };
    start = nl + 1;
  }
}

function isAscii(bytes: Buffer, text: string): boolean {
  return bytes.length === text.length;
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
