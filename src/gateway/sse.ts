import { StringDecoder } from 'node:string_decoder';

/** One server-sent event: its `event:` name (if any), its joined `data:` lines, and its exact text. */
export interface SseEvent {
  event: string | null;
  data: string;
  raw: string;
}

const BOUNDARY = /\r?\n\r?\n/g;

/**
 * Splits a byte stream into SSE events as they complete (WHATWG EventSource framing: events end at a blank line;
 * `data:` lines join with "\n"). Chunks may split events, lines and UTF-8 characters anywhere; only the trailing
 * incomplete event is kept.
 */
export class SseSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';

  push(chunk: Buffer, onEvent: (e: SseEvent) => void): void {
    eachEvent(this.completed(chunk), onEvent);
  }

  /**
   * The exact text of every event this chunk completes, as one string ('' when it completes none). A meter that
   * needs only a few of the events looks for them in this text before splitting it: most chunks are never split.
   */
  completed(chunk: Buffer): string {
    const text = this.tail + this.decoder.write(chunk);
    BOUNDARY.lastIndex = 0;
    let end = 0;
    for (let m = BOUNDARY.exec(text); m !== null; m = BOUNDARY.exec(text)) end = m.index + m[0].length;
    this.tail = end === 0 ? text : text.slice(end);
    return end === 0 ? '' : text.slice(0, end);
  }

  /** The incomplete event left at the end of the stream (as raw text), if any. */
  end(): string {
    const rest = this.tail + this.decoder.end();
    this.tail = '';
    return rest;
  }
}

/** Calls `onEvent` for each event in `text`, whole events as SseSplitter.completed returns them. */
export function eachEvent(text: string, onEvent: (e: SseEvent) => void): void {
  const boundary = /\r?\n\r?\n/g; // its own: onEvent may split other text meanwhile
  let start = 0;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    const end = m.index + m[0].length;
    onEvent(parseEvent(text.slice(start, end)));
    start = end;
  }
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
