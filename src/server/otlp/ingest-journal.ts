import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Remembered, RememberSink } from '../../sources/otlp/ingest.js';
import type { Delta, SeriesPoint } from '../../sources/otlp/temporality.js';

/**
 * `<ledger>.otlp-state`, beside the ledger and its write-ahead log's folder; mode 0600 like the log, as series keys
 * hold resource attributes (a user's email).
 */
export function ingestJournalPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.otlp-state`;
}

const HEADER = JSON.stringify(['tokenledger otlp state', 1]);

/** A journal's lines as they were read: what they remember, and the lines that could not be read. */
export interface JournalRead {
  /**
   * `since` (Remembered.since): from its last since line; absent when there is none (a file of an older version) or
   * a line could not be read (it may have held a series' point, so a series it does not remember may have counted).
   */
  remembered: { perRequest: string[]; series: [string, SeriesPoint][]; since?: number };
  /** Lines skipped, with the first few as `line N: reason`: a line torn by a crash mid-write is one. */
  damaged: number;
  problems: string[];
}

/**
 * Reads the journal at `path` (none yet: nothing remembered). Lines are replayed in order: a key's last line is what
 * is remembered of it, and its place in the order (least recently seen first) is that line's.
 */
export function readIngestJournal(path: string): JournalRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { remembered: { perRequest: [], series: [] }, damaged: 0, problems: [] };
    throw e;
  }
  const keys = new Set<string>();
  const series = new Map<string, SeriesPoint>();
  const at: { since?: number } = {};
  const problems: string[] = [];
  let damaged = 0;
  text.split('\n').forEach((line, i) => {
    if (line === '' || line === HEADER) return;
    const problem = replay(line, keys, series, at);
    if (problem === null) return;
    damaged++;
    if (problems.length < 5) problems.push(`line ${i + 1}: ${problem}`);
  });
  const since = damaged === 0 && at.since !== undefined ? { since: at.since } : {};
  return { remembered: { perRequest: [...keys], series: [...series], ...since }, damaged, problems };
}

/** Applies one line; the reason it cannot be, or null. */
function replay(
  line: string,
  keys: Set<string>,
  series: Map<string, SeriesPoint>,
  at: { since?: number },
): string | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (Array.isArray(v) && v[0] === 'since' && v.length === 2) {
    if (!finite(v[1])) return 'a since line with a bad number';
    at.since = v[1];
    return null;
  }
  if (!Array.isArray(v) || typeof v[1] !== 'string') return 'not a journal line';
  const [kind, key] = v as [unknown, string];
  if (kind === 'k' && v.length === 2) {
    keys.delete(key);
    keys.add(key);
    return null;
  }
  if (kind === 's' && v.length === 6) {
    const [, , start, time, value, d] = v as unknown[];
    const delta = d === null ? null : finite(value) ? toDelta(d, value) : undefined;
    if (!finite(start) || !finite(time) || !finite(value) || delta === undefined)
      return 'a series line with bad numbers';
    series.delete(key);
    series.set(key, { start, time, value, delta });
    return null;
  }
  if (kind === 'f' && v.length === 2) {
    series.delete(key);
    return null;
  }
  return 'not a journal line';
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A window as seriesLine writes it, of a point of `value`. */
function toDelta(d: unknown, value: number): Delta | undefined {
  if (!Array.isArray(d) || (d.length !== 3 && d.length !== 4) || !d.every(finite)) return undefined;
  const [from, to, added, base] = d as number[];
  // A line written before windows kept their base: the point's value less what it added (0 for a whole value).
  return { from: from!, to: to!, value: added!, base: base ?? value - added! };
}

const keyLine = (key: string) => JSON.stringify(['k', key]);
/** A series no longer remembered: its only point was taken back (TemporalityState.undo). */
const forgetLine = (key: string) => JSON.stringify(['f', key]);
/** From when every series seen is remembered (Remembered.since). */
const sinceLine = (since: number) => JSON.stringify(['since', since]);
const seriesLine = (key: string, p: SeriesPoint) =>
  JSON.stringify([
    's',
    key,
    p.start,
    p.time,
    p.value,
    p.delta && [p.delta.from, p.delta.to, p.delta.value, p.delta.base],
  ]);

/** A file that holds some lines, however many of them still count, before it is written again from what does. */
const COMPACT_AT = 20_000;

/**
 * The OTLP receiver's memory across restarts (ingest.ts, Remembered), kept in a file of JSON lines that grows by
 * what is new (a key's first per-request record, a cumulative series' next point) and is written again whole from
 * what is remembered when it holds more than twice that, or 20,000 lines.
 *
 * The worker flushes what an export made it remember before the export is answered, so nothing acknowledged rests on
 * what the file does not hold. The lines of an export that moved cumulative series or brought new per-request keys are
 * the exception: they travel in the write-ahead log with its events, in the same write (codec.ts, encodeOtlpState), and
 * reach this file only after the log took them (`take`, then `add`). Written before, a kill between the two writes left
 * the file a point whose window the ledger never recorded, and the series' use up to it was lost if the exporter then
 * dropped the export; written after without the log holding them, the same kill made the next window overlap the logged
 * one. A replay at start-up appends a segment's state lines here before it removes the segment (appendJournalLines), so
 * the file and the log stand for the same last points. An export the log refused has its points taken back
 * (TemporalityState.undo): a line puts each series back at its point before, or forgets it. Like the write-ahead log's
 * lines with `wal.sync: after_ack`, a flush is in the operating system's hands when the export is answered: a crash of
 * the process loses nothing, a crash of the machine can lose the last second.
 */
export class IngestJournal implements RememberSink {
  private pending: string[] = [];
  /** Lines in the file, and how many of them the last rewrite wrote. */
  private lines = 0;
  private compacted = 0;
  /** A failed append may have left part of a line: the next starts on a line of its own. */
  private torn = false;

  /** Starts the file over from `remembered`, replacing whatever was there whole (a new file renamed over it). */
  constructor(
    private readonly path: string,
    remembered: Remembered,
  ) {
    this.rewrite(remembered);
  }

  perRequest(key: string): void {
    this.pending.push(keyLine(key));
  }

  series(key: string, point: SeriesPoint): void {
    this.pending.push(seriesLine(key, point));
  }

  forget(key: string): void {
    this.pending.push(forgetLine(key));
  }

  since(since: number): void {
    this.pending.push(sinceLine(since));
  }

  /** Where the lines told from now on start, for `take` and `discard`. */
  mark(): number {
    return this.pending.length;
  }

  /** The lines told since `mark`, which are not written here: they go to the write-ahead log first. */
  take(mark: number): string[] {
    return this.pending.splice(mark);
  }

  /** Drops the lines told since `mark`: what they said was taken back before any of it was written. */
  discard(mark: number): void {
    this.pending.length = Math.min(this.pending.length, mark);
  }

  /** Lines `take` gave, once the write-ahead log holds them: written at the next flush. */
  add(lines: readonly string[]): void {
    for (const l of lines) this.pending.push(l);
  }

  /**
   * Appends what was told since the last flush, then starts the file over when it has grown past its bound. Throws
   * when the file cannot be written, keeping what was told for the next flush.
   */
  flush(remembered: () => Remembered): void {
    if (this.pending.length > 0) {
      const text = `${this.torn ? '\n' : ''}${this.pending.join('\n')}\n`;
      try {
        appendFileSync(this.path, text, { mode: 0o600 });
      } catch (e) {
        this.torn = true;
        throw this.failed(e);
      }
      this.torn = false;
      this.lines += this.pending.length;
      this.pending = [];
    }
    if (this.lines > Math.max(COMPACT_AT, 2 * this.compacted)) this.rewrite(remembered());
  }

  private rewrite(remembered: Remembered): void {
    const out = [HEADER];
    if (remembered.since !== undefined) out.push(sinceLine(remembered.since));
    for (const k of remembered.perRequest) out.push(keyLine(k));
    for (const [k, p] of remembered.series) out.push(seriesLine(k, p));
    const tmp = `${this.path}.tmp`;
    try {
      writeFileSync(tmp, `${out.join('\n')}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (e) {
      throw this.failed(e);
    }
    this.lines = this.compacted = out.length;
  }

  private failed(e: unknown): Error {
    return new Error(
      `the OTLP receiver's state file ${this.path} could not be written: ${(e as Error).message}`,
    );
  }
}

/**
 * Appends `lines` (the state lines a write-ahead-log segment held: codec.ts, encodeOtlpState) to the journal at
 * `path`, synced, for whoever writes it next to read: a replay at start-up, before the receiver's worker starts, or the
 * main thread after that worker died. On a line of their own: the file may end in a line torn by a crash. Applied
 * after the file's own lines, in log order, they leave each series at its last point the log took; twice (a replay
 * stopped before it removed the segment), the same.
 */
export async function appendJournalLines(path: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  try {
    const file = await open(path, 'a+', 0o600);
    try {
      const { size } = await file.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await file.read(last, 0, 1, size - 1);
      const torn = size > 0 && last[0] !== 0x0a;
      await file.appendFile(`${torn ? '\n' : ''}${lines.join('\n')}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
  } catch (e) {
    throw new Error(`the OTLP receiver's state file ${path} could not be written: ${(e as Error).message}`);
  }
}
