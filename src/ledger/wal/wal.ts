import type { FileHandle } from 'node:fs/promises';
import { TokenledgerError } from '../../errors.js';
import type { AppendResult } from '../../store/store.js';
import type { UsageEvent } from '../event.js';
import { encodeRecord } from './codec.js';
import { createSegment, listSegments, readSegment, removeSegment } from './segment-files.js';

/** The one thing the WAL needs from a store: idempotent append by event id. */
export interface WalSink {
  append(events: readonly UsageEvent[]): Promise<AppendResult>;
}

export interface WalOptions {
  dir: string;
  sink: WalSink;
  /** fdatasync each batch before acknowledging it (default true). Off only for benchmarks that say so. */
  sync?: boolean;
  /** How often the writer seals the current segment and moves sealed ones into the store (default 200 ms). */
  drainIntervalMs?: number;
  /** Largest batch handed to the store at once. */
  storeBatch?: number;
  onError?: (err: Error) => void;
}

export interface ReplayResult {
  segments: number;
  events: number;
  inserted: number;
  /** Torn or corrupt lines skipped (a torn tail is a write that was never acknowledged). */
  bad: number;
}

export interface Wal {
  /** Resolves once the event is durable in the log (written and fsynced with its batch). */
  append(e: UsageEvent): Promise<void>;
  /** Events acknowledged but not yet in the store. */
  depth(): number;
  /** Seals the current segment and moves everything into the store now. */
  drain(): Promise<void>;
  /** Drains, then closes the segment file; later appends fail. */
  close(): Promise<void>;
  readonly replayed: ReplayResult;
}

interface Pending {
  line: Buffer;
  event: UsageEvent;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Sealed {
  path: string;
  events: UsageEvent[];
}

/**
 * Opens the write-ahead log in `dir`: first replays every segment left by an earlier run into the sink (idempotent
 * by event id, so a replay after a crash mid-drain stores nothing twice), then starts a fresh segment.
 *
 * Group commit: appends that arrive while a write+fsync is in flight form the next batch, so each call waits for
 * at most about two fsyncs and a busy server does one fsync per batch, not per call.
 *
 * @example
 *   const wal = await openWal({ dir: 'ledger.duckdb.wal', sink: store });
 *   await wal.append(event); // now it survives kill -9
 */
export async function openWal(o: WalOptions): Promise<Wal> {
  const replayed = await replay(o.dir, o.sink, o.storeBatch ?? 20_000);
  const segs = await listSegments(o.dir);
  const seq = segs.length === 0 ? 1 : segs[segs.length - 1]!.seq + 1;
  const seg = await createSegment(o.dir, seq);
  return new SegmentWal(o, replayed, seq, seg.path, seg.handle);
}

async function replay(dir: string, sink: WalSink, batch: number): Promise<ReplayResult> {
  const r: ReplayResult = { segments: 0, events: 0, inserted: 0, bad: 0 };
  for (const seg of await listSegments(dir)) {
    const { events, bad } = await readSegment(seg.path);
    for (let i = 0; i < events.length; i += batch) {
      r.inserted += (await sink.append(events.slice(i, i + batch))).inserted;
    }
    await removeSegment(seg.path);
    r.segments++;
    r.events += events.length;
    r.bad += bad;
  }
  return r;
}

class SegmentWal implements Wal {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Serialises writes, fsyncs and segment rotation on the one file handle. */
  private io: Promise<void> = Promise.resolve();
  private current: UsageEvent[] = [];
  private readonly sealed: Sealed[] = [];
  private draining: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private depthCount = 0;

  constructor(
    private readonly o: WalOptions,
    readonly replayed: ReplayResult,
    private seq: number,
    private path: string,
    private handle: FileHandle,
  ) {
    this.timer = setInterval(() => {
      if (this.draining === null) this.drain().catch((e: Error) => this.o.onError?.(e));
    }, o.drainIntervalMs ?? 200);
    this.timer.unref();
  }

  append(event: UsageEvent): Promise<void> {
    if (this.closed) return Promise.reject(walClosed());
    return new Promise((resolve, reject) => {
      this.pending.push({ line: encodeRecord(event), event, resolve, reject });
      this.depthCount++;
      if (!this.scheduled) {
        this.scheduled = true;
        this.io = this.io.then(() => this.flush());
      }
    });
  }

  depth(): number {
    return this.depthCount;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      const bytes = batch.length === 1 ? batch[0]!.line : Buffer.concat(batch.map((p) => p.line));
      await this.handle.write(bytes);
      if (this.o.sync !== false) await this.handle.datasync();
    } catch (cause) {
      this.depthCount -= batch.length;
      const err = new TokenledgerError(
        'LEDGER_WAL_WRITE',
        `${this.path}: cannot write the write-ahead log (${(cause as Error).message}); check free disk space`,
        { cause },
      );
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) {
      this.current.push(p.event);
      p.resolve();
    }
  }

  private async rotate(): Promise<void> {
    if (this.current.length === 0) return;
    const next = await createSegment(this.o.dir, this.seq + 1);
    await this.handle.close();
    this.sealed.push({ path: this.path, events: this.current });
    this.current = [];
    this.seq++;
    this.path = next.path;
    this.handle = next.handle;
  }

  /** Runs after any drain in flight, so everything acknowledged before the call is in the store when it resolves. */
  drain(): Promise<void> {
    const run: Promise<void> = (this.draining ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.drainOnce())
      .finally(() => {
        if (this.draining === run) this.draining = null;
      });
    this.draining = run;
    return run;
  }

  private async drainOnce(): Promise<void> {
    this.io = this.io.then(() => this.rotate());
    await this.io;
    const batch = this.o.storeBatch ?? 20_000;
    while (this.sealed.length > 0) {
      const seg = this.sealed[0]!;
      for (let i = 0; i < seg.events.length; i += batch)
        await this.o.sink.append(seg.events.slice(i, i + batch));
      await removeSegment(seg.path);
      this.sealed.shift();
      this.depthCount -= seg.events.length;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.io;
    await this.drain();
    await this.handle.close();
    await removeSegment(this.path);
  }
}

function walClosed(): TokenledgerError {
  return new TokenledgerError(
    'LEDGER_WAL_CLOSED',
    'the write-ahead log is closed; the server is shutting down',
  );
}
