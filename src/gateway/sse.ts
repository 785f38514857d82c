/** One server-sent event: its `event:` name (if any), its joined `data:` lines, and its exact text. */
export interface SseEvent {
  event: string | null;
  data: string;
  raw: string;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into SSE events as they complete (WHATWG EventSource framing: an event ends at a blank line).
 * Chunks may split events, lines and UTF-8 characters anywhere; only the trailing incomplete event is kept. It works
 * on bytes: the framing is ASCII, UTF-8 never uses those bytes inside a character, and most chunks then go on to the
 * client without being decoded, searched as text or encoded again.
 */
export class SseSplitter {
  /**
   * The incomplete event's bytes, as the chunks brought them: joined only once it completes. An Images API stream's
   * events are megabytes of base64 in many reads, and joining the tail at every read copied it over and over.
   */
  private tail: Buffer[] = [];

  /**
   * The bytes of every event this chunk completes, as one buffer (empty when it completes none). A meter that needs
   * only a few of the events looks for them in these bytes before splitting them: most chunks are never split.
   */
  completed(chunk: Buffer): Buffer {
    let buf = chunk;
    if (this.tail.length !== 0) {
      // The tail holds no whole event, but a blank line (at most 3 bytes) may straddle it and the chunk: the chunk
      // and the tail's last 2 bytes are scanned, not the whole tail again.
      if (nextEventEnd(Buffer.concat([lastBytes(this.tail, 2), chunk]), 0) === -1) {
        this.tail.push(chunk);
        return EMPTY;
      }
      buf = Buffer.concat([...this.tail, chunk]);
      this.tail = [];
    }
    let end = 0;
    for (let e = nextEventEnd(buf, 0); e !== -1; e = nextEventEnd(buf, e)) end = e;
    if (end !== buf.length) this.tail.push(buf.subarray(end));
    return end === 0 ? EMPTY : buf.subarray(0, end);
  }

  /** The incomplete event left at the end of the stream, as the upstream sent it. */
  end(): Buffer {
    const rest = this.tail.length === 0 ? EMPTY : Buffer.concat(this.tail);
    this.tail = [];
    return rest;
  }
}

/** The last `n` bytes of `parts` joined (fewer when they hold fewer). */
function lastBytes(parts: readonly Buffer[], n: number): Buffer {
  const last: Buffer[] = [];
  for (let i = parts.length - 1, left = n; i >= 0 && left > 0; i--) {
    const p = parts[i]!;
    last.unshift(p.subarray(Math.max(0, p.length - left)));
    left -= p.length;
  }
  return Buffer.concat(last);
}

/**
 * Where the first event at or after `from` ends: past the blank line that closes it, as `/\r?\n\r?\n/g` scanning from
 * `from` would find it. -1 when no event ends.
 */
export function nextEventEnd(buf: Uint8Array, from: number): number {
  for (let q = buf.indexOf(LF, from); q !== -1; q = buf.indexOf(LF, q + 1)) {
    const next = buf[q + 1];
    if (next === LF) return q + 2;
    if (next === CR && buf[q + 2] === LF) return q + 3;
  }
  return -1;
}

/**
 * Calls `onEvent` with where each event in `buf` starts and ends (byte offsets), whole events as SseSplitter.completed
 * returns them.
 */
export function eachEventSpan(buf: Uint8Array, onEvent: (start: number, end: number) => void): void {
  for (let start = 0, end = nextEventEnd(buf, 0); end !== -1; start = end, end = nextEventEnd(buf, end))
    onEvent(start, end);
}

/** Calls `onEvent` for each event in `buf`, parsed (whole events as SseSplitter.completed returns them). */
export function eachEvent(buf: Buffer, onEvent: (e: SseEvent) => void): void {
  eachEventSpan(buf, (start, end) => onEvent(parseEvent(buf.toString('utf8', start, end))));
}

export function parseEvent(raw: string): SseEvent {
  let event: string | null = null;
  let data: string | null = null;
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith('data:')) {
      const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === null ? v : `${data}\n${v}`;
    } else if (line.startsWith('event:')) event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
  }
  return { event, data: data ?? '', raw };
}
