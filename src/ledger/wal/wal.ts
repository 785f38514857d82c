import { close, fdatasync, writev, writevSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TokenledgerError } from '../../errors.js';
import { nextTurn } from '../../next-turn.js';
import type { PreparedBatch } from '../../store/duckdb/prepare-batch.js';
import type { AppendResult, EventAppendResult } from '../../store/store.js';
import type { AttributionPatch } from '../attribution-patch.js';
import type { CallContent } from '../call-content.js';
import type { UsageEvent } from '../event.js';
import { decodeRecords, encodeRecords, encodeWithContent } from './codec.js';
import {
  listSegments,
  type OpenSegment,
  preallocateSegment,
  readSegment,
  removeSegment,
  type WalSync,
} from './segment-files.js';
import { appendSettingAside, isRefusal, type Refusal } from './set-aside.js';

export { WAL_SYNC, type WalSync } from './segment-files.js';

/** What the WAL needs from a store: idempotent append by event id, idempotent attribution patches and call text. */
/** An append's result, with the events left out as before the ledger's raw horizon (EventAppendResult.retired). */
export type SinkAppend = AppendResult & Pick<EventAppendResult, 'retired'>;

export interface WalSink {
  append(events: readonly UsageEvent[]): Promise<SinkAppend>;
  /** The same for a batch prepared elsewhere (Store.appendPrepared): taken for records whose source kept them so. */
  appendPrepared?(batch: PreparedBatch): Promise<AppendResult>;
  /** Fills agent / task_id of stored events where they are null (Store.attribute). */
  attribute(patches: readonly AttributionPatch[]): Promise<{ patched: number }>;
  /** Stores calls' text, skipping what is stored already (Store.storeContent). */
  storeContent(contents: readonly CallContent[]): Promise<{ inserted: number }>;
}

export interface WalOptions {
  dir: string;
  sink: WalSink;
  /** When an acknowledged event reaches the disk (default `after_ack`: written before, synced within a few ms). */
  sync?: WalSync;
  /** How often the writer moves acknowledged events into the store (default 2000 ms). */
  drainIntervalMs?: number;
  /**
   * Largest batch handed to the store at once (default 20,000: an OTLP burst reached DuckDB at 36–38k spans/s in 20k
   * batches against 27–29k in 5k ones, bench/HISTORY.md, OTLP ingest). A drain starts early once 5,000 events wait
   * (or this many, if fewer), so only a backlog that grew while the store was busy goes in batches this large.
   */
  storeBatch?: number;
  /** Size of each preallocated segment file (default 8 MiB). */
  segmentBytes?: number;
  onError?: (err: Error) => void;
  /** Events the store refused were set aside (set-aside.ts) rather than stored. */
  onRefused?: (r: Refusal) => void;
  /**
   * The store left out this many events dated before its raw horizon (docs/store.md, Raw retention): their days are
   * kept only as sums. Not a failure (the batch is taken), but a sender whose clock is months wrong.
   */
  onRetired?: (count: number) => void;
  /**
   * Told, at replay, the OTLP receiver's state lines of each segment (codec.ts, encodeOtlpState), in log order, before
   * the segment is removed: where they go (the receiver's state file) must hold them once it resolves.
   */
  onOtlpState?: (lines: readonly string[]) => Promise<void>;
}

interface ReplayResult {
  segments: number;
  events: number;
  inserted: number;
  /** Torn or corrupt lines skipped (a torn tail is a write that was never acknowledged). */
  bad: number;
  /**
   * Of those, lines a readable record followed: records the log held that could not be read (a corrupt disk), not a
   * torn last write. They are appended to DAMAGED_FILE as they were, and the server reports them.
   */
  damaged: number;
  /** Attribution patch records replayed (each after the events of its segment). */
  patches: number;
  /** Calls' text records replayed (after the events of their segment). */
  contents: number;
  /** Events the store refused, set aside in refused.jsonl (set-aside.ts). */
  refused: number;
}

export interface Wal {
  /**
   * Resolves once the event is in the log: written (`after_ack`), or written and synced (`before_ack`). With `content`
   * (a call whose key keeps its text), the text is written with it, in the same write.
   */
  append(e: UsageEvent, content?: CallContent): Promise<void>;
  /**
   * Resolves once `count` events, already encoded as log records (codec.ts encodeRecords, as the OTLP worker does
   * off the main thread), are in the log: one write in one group commit, one promise. A crash mid-write may keep a
   * prefix of them; none was acknowledged, and ids make the retry a no-op. The store is fed by decoding them again,
   * or, with `kept`, by the batch their encoder prepares from the events it kept (PreparedRuns). The records may end
   * in attribution patches (codec.ts encodePatches), which `count` leaves out; the store takes them after the events
   * drained with them, or hold the OTLP receiver's state lines (codec.ts withOtlpState), which only a replay reads:
   * `copied` then resolves once its state file holds them too, and the segment they are in is not removed before.
   */
  appendEncoded(records: Buffer, count: number, kept?: KeptRecords, copied?: Promise<void>): Promise<void>;
  /** Whether the store takes batches prepared elsewhere (WalSink.appendPrepared): only then are runs worth keeping. */
  readonly takesPrepared: boolean;
  /** Resolves once everything acknowledged before the call is synced to disk (at once unless `after_ack`). */
  synced(): Promise<void>;
  /** Events acknowledged but not yet in the store. */
  depth(): number;
  /** Moves everything acknowledged so far into the store now. */
  drain(): Promise<void>;
  /** Drains, then closes and removes the segment files; later appends fail. */
  close(): Promise<void>;
  readonly replayed: ReplayResult;
}

/**
 * Where runs of encoded records are also kept as events, ready to be prepared for the store where they were encoded
 * (the OTLP worker: otlp-worker.ts). Runs are named by keys that grow in log order.
 */
export interface PreparedRuns {
  /** The store's batch of exactly these runs' events, in order; null when it cannot be had (decode them instead). */
  prepared(keys: readonly number[]): Promise<PreparedBatch | null>;
  /** Runs up to `key` were stored another way: they will not be asked for. */
  release(key: number): void;
}

/** One run of encoded records, kept by `runs` under `key`. */
interface KeptRecords {
  runs: PreparedRuns;
  key: number;
}

/** Records encoded elsewhere (appendEncoded), queued for the store as bytes: decoded only when they are drained. */
class Encoded {
  constructor(
    readonly bytes: Buffer,
    readonly count: number,
    readonly kept?: KeptRecords,
    /** Resolves once what only the log holds of these records is kept elsewhere too (appendEncoded). */
    readonly copied?: Promise<void>,
  ) {}
}

/**
 * `after_ack`: the longest an acknowledged write waits for its fdatasync to begin — the "fsync per batch
 * within a few ms", and what a machine crash (not a crash of tokenledger) can lose beyond the sync in flight.
 */
const SYNC_EVERY_MS = 5;

/** What waits for the store: an event, or a run of encoded records (~60% of the events' memory, off the JS heap). */
type Queued = UsageEvent | Encoded;
const countOf = (q: Queued): number => (q instanceof Encoded ? q.count : 1);
const keptOf = (q: Queued): KeptRecords | undefined => (q instanceof Encoded ? q.kept : undefined);

interface Pending {
  /**
   * An event appended alone is encoded when written: events written together share a batch line (encodeRecords),
   * ~1.4 against ~3.3 µs and 184 against 525 bytes a gateway call when a write takes 12 of them, as it does at a
   * gateway's saturation (bench/HISTORY.md, Gateway, thirty-sixth session). Encoded items bring their lines.
   */
  item: Queued;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * Opens the write-ahead log in `dir`: first replays every segment left by an earlier run into the sink (idempotent
 * by event id, so a replay after a crash mid-drain stores nothing twice), then starts a fresh segment.
 *
 * Group commit, leader/follower: a lone append is written after the current event-loop turn (no timer); appends that
 * arrive in the same turn, or while a write is in flight, form one batch, so a busy server writes once per batch, not
 * per call. Each write is positional, into a preallocated segment, so a sync flushes no metadata. With `after_ack`
 * the write is a plain one on the calling thread (a few µs into the page cache) and one fdatasync at a time runs in
 * the thread pool behind it, at most one every 5 ms, covering every batch written before it began; with `before_ack`
 * it is an O_DSYNC write in the thread pool that the acknowledgement waits for.
 *
 * The store is fed from memory, in large batches (its append has a fixed cost of tens of ms): segments are only
 * read back at start-up. A segment is deleted once it is full and every event in it is in the store.
 *
 * @example
 *   const wal = await openWal({ dir: 'ledger.wal-segments', sink: store });
 *   await wal.append(event); // now it survives kill -9
 */
export async function openWal(o: WalOptions): Promise<Wal> {
  const replayed = await replay(o, o.storeBatch ?? STORE_BATCH);
  const segs = await listSegments(o.dir);
  const seq = segs.length === 0 ? 1 : segs[segs.length - 1]!.seq + 1;
  const sync = o.sync ?? 'after_ack';
  const seg = await preallocateSegment(o.dir, seq, o.segmentBytes ?? DEFAULT_SEGMENT, sync);
  return new SegmentWal(o, sync, replayed, seg);
}

const DEFAULT_SEGMENT = 8 << 20;
const STORE_BATCH = 20_000;
/**
 * Waiting events that start a drain before the interval is up. Lower than STORE_BATCH: a gateway at saturation
 * otherwise held 20k events between drains and its RSS grew by ~20 MB (bench/HISTORY.md, Gateway, 05:13).
 */
const DRAIN_AT = 5_000;

async function replay(o: WalOptions, batch: number): Promise<ReplayResult> {
  const r: ReplayResult = {
    segments: 0,
    events: 0,
    inserted: 0,
    bad: 0,
    damaged: 0,
    refused: 0,
    patches: 0,
    contents: 0,
  };
  const onRefused = (x: Refusal) => {
    r.refused += x.count;
    o.onRefused?.(x);
  };
  for (const seg of await listSegments(o.dir)) {
    const { events, patches, contents, state, bad, damaged } = await readSegment(seg.path);
    for (let i = 0; i < events.length; i += batch) {
      const a = await appendSettingAside(o.sink, events.slice(i, i + batch), o.dir, onRefused);
      r.inserted += a.inserted;
      if (a.retired !== undefined) o.onRetired?.(a.retired);
    }
    // After every event of the segment, so each patch finds the events written before it; a patch only fills
    // nulls, so taking it later than its place in the log leaves what taking it in place would.
    for (let i = 0; i < patches.length; i += batch) await o.sink.attribute(patches.slice(i, i + batch));
    r.patches += patches.length;
    for (let i = 0; i < contents.length; i += batch) await o.sink.storeContent(contents.slice(i, i + batch));
    r.contents += contents.length;
    // The segment may be the only place that holds them (the server stopped before they reached the state file).
    if (state.length > 0) await o.onOtlpState?.(state);
    // Kept before the segment is deleted, so what could not be read can still be looked at or mended; after the
    // store took the rest, so a replay the store failed (tried again at the next start) does not keep it twice.
    if (damaged.length > 0) await keepDamaged(o.dir, seg.path, damaged);
    await removeSegment(seg.path);
    r.segments++;
    r.events += events.length;
    r.bad += bad;
    r.damaged += damaged.length;
  }
  return r;
}

/** Where replay keeps the lines of the log it could not read (other than a torn tail), in the log's folder. */
export const DAMAGED_FILE = 'damaged.wal';

/** Appends `lines` to DAMAGED_FILE, after a line naming the segment they came from, and flushes it. */
async function keepDamaged(dir: string, segment: string, lines: readonly Buffer[]): Promise<void> {
  const header = Buffer.from(`# ${basename(segment)}, replayed ${new Date().toISOString()}\n`);
  const body = lines.flatMap((l) => [l, NEWLINE]);
  await appendFile(join(dir, DAMAGED_FILE), Buffer.concat([header, ...body]), { mode: 0o600, flush: true });
}

const NEWLINE = Buffer.from('\n');

class SegmentWal implements Wal {
  private pending: Pending[] = [];
  private writing = false;
  /** The next segment, preallocated in the background while this one fills. */
  private next: Promise<OpenSegment> | null = null;
  /** Acknowledged, not yet handed to the store, in log order; depthCount counts their events. */
  private queue: Queued[] = [];
  /** Full segments, waiting for their events to reach the store. */
  private sealed: OpenSegment[] = [];
  /** What each segment waits for besides the store before it is removed (Encoded.copied). */
  private readonly copies = new Map<OpenSegment, Promise<void>[]>();
  /** The removal of segments waiting for their copies, in segment order (remove); null when none waits. */
  private removing: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly batch: number;
  /** `after_ack`: segments written since their last fdatasync began. */
  private unsynced: OpenSegment[] = [];
  /** `after_ack`: the fdatasync loop, while it runs. */
  private syncing: Promise<void> | null = null;
  /** `after_ack`: performance.now() when the last fdatasync began. */
  private lastSync = Number.NEGATIVE_INFINITY;
  /** `after_ack`: a failed fdatasync; the log takes no more appends (what it acknowledged may not be on disk). */
  private syncFailure: TokenledgerError | null = null;
  private closed = false;
  private depthCount = 0;
  /** performance.now() when the last drain began. */
  private lastDrain = performance.now();
  private nextSeq: number;
  readonly takesPrepared: boolean;

  constructor(
    private readonly o: WalOptions,
    private readonly sync: WalSync,
    readonly replayed: ReplayResult,
    private seg: OpenSegment,
  ) {
    this.nextSeq = seg.seq + 1;
    this.takesPrepared = o.sink.appendPrepared !== undefined;
    this.batch = o.storeBatch ?? STORE_BATCH;
    // Ticks at half the interval and drains only when the last drain began an interval ago: a drain the batch size
    // started moments before is not followed by a small one at the next tick.
    const every = o.drainIntervalMs ?? 2000;
    this.timer = setInterval(() => {
      if (performance.now() - this.lastDrain >= every) this.drainSoon();
    }, every / 2);
    this.timer.unref();
  }

  append(event: UsageEvent, content?: CallContent): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) return refused;
    if (content === undefined) return this.enqueue(event);
    // Queued as bytes, as an OTLP export is: the store decodes the event and its text again when it drains.
    const records = encodeWithContent(event, content);
    return this.enqueue(new Encoded(records, 1));
  }

  appendEncoded(records: Buffer, count: number, kept?: KeptRecords, copied?: Promise<void>): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) return refused;
    if (records.length === 0) return Promise.resolve();
    return this.enqueue(new Encoded(records, count, kept, copied));
  }

  /** Why no append is taken now (closed, or a sync failed), as a rejected promise; null when appends are taken. */
  private refusal(): Promise<never> | null {
    if (this.closed) return Promise.reject(walClosed());
    return this.syncFailure === null ? null : Promise.reject(this.syncFailure);
  }

  /** Queues an item's encoded lines for the leader's next write; resolves once they are written. */
  private enqueue(item: Queued): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.depthCount += countOf(item);
      if (!this.writing) this.lead();
    });
  }

  depth(): number {
    return this.depthCount;
  }

  /**
   * Becomes the leader, which starts writing after the current turn of the event loop: every call that completes in
   * the same turn (a busy server finishes several responses per poll) joins the first batch instead of waiting a
   * whole synced write behind it. Each write is a thread-pool hop and a kernel flush, which made the WAL one of the
   * largest CPU items per call when most writes held a single event.
   */
  private lead(): void {
    this.writing = true;
    setImmediate(() => void this.writeLoop());
  }

  /** The leader: writes batches until nobody is waiting. */
  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const lines = linesOf(batch);
        let size = 0;
        for (const l of lines) size += l.length;
        const seg = await this.room(size);
        if (this.sync === 'before_ack') await pwritev(seg.fd, lines, seg.offset);
        else pwritevSync(seg.fd, lines, seg.offset);
        seg.offset += size;
        if (this.sync === 'after_ack') this.syncSoon(seg);
        for (const p of batch)
          if (p.item instanceof Encoded && p.item.copied !== undefined) {
            const copies = this.copies.get(seg);
            if (copies === undefined) this.copies.set(seg, [p.item.copied]);
            else copies.push(p.item.copied);
          }
      } catch (cause) {
        for (const p of batch) this.depthCount -= countOf(p.item);
        const err = new TokenledgerError(
          'LEDGER_WAL_WRITE',
          `${this.seg.path}: cannot write the write-ahead log (${(cause as Error).message}); check free disk space`,
          { cause },
        );
        for (const p of batch) p.reject(err);
        continue;
      }
      for (const p of batch) {
        this.queue.push(p.item);
        p.resolve();
      }
      if (this.depthCount >= Math.min(this.batch, DRAIN_AT)) this.drainSoon();
    }
    this.writing = false;
  }

  /** The segment with room for `n` more bytes: seals the current one when it is full. */
  private async room(n: number): Promise<OpenSegment> {
    const size = this.o.segmentBytes ?? DEFAULT_SEGMENT;
    if (this.seg.offset + n <= this.seg.size) {
      if (this.next === null && this.seg.offset + n > this.seg.size / 2) this.next = this.prepare(size);
      return this.seg;
    }
    let next: OpenSegment;
    if (n > size) next = await this.prepare(n);
    else {
      next = await (this.next ?? this.prepare(size));
      this.next = null;
    }
    this.sealed.push(this.seg);
    this.seg = next;
    return next;
  }

  /** Marks `seg` written and starts the fdatasync loop unless it runs: its next pass covers this write. */
  private syncSoon(seg: OpenSegment): void {
    if (!this.unsynced.includes(seg)) this.unsynced.push(seg);
    this.syncing ??= this.syncLoop().finally(() => {
      this.syncing = null;
    });
  }

  private async syncLoop(): Promise<void> {
    while (this.unsynced.length > 0) {
      // One fdatasync per SYNC_EVERY_MS at most: a write that comes sooner waits for the next, which covers every
      // write before it. A lone call is synced at once. At 500 appends/s each append had its own fdatasync, each a
      // round trip through the thread pool (1,971 for 2,200 appends, counted with strace; 686 with the window).
      // No response waits for these syncs, so none is slower for it.
      // (A timer can fire up to a ms early by this clock: libuv counts whole ms from the loop's cached time.)
      let wait = this.lastSync + SYNC_EVERY_MS - performance.now();
      while (wait > 0) {
        await new Promise((r) => setTimeout(r, Math.ceil(wait)));
        wait = this.lastSync + SYNC_EVERY_MS - performance.now();
      }
      this.lastSync = performance.now();
      const segs = this.unsynced;
      this.unsynced = [];
      for (const s of segs) {
        try {
          await datasync(s.fd);
        } catch (cause) {
          // Acknowledged records may not be on disk and the kernel may not retry them: stop taking appends (the
          // gateway answers 503) rather than acknowledge more into a log that cannot be synced.
          this.syncFailure = new TokenledgerError(
            'LEDGER_WAL_WRITE',
            `${s.path}: cannot sync the write-ahead log (${(cause as Error).message}); check the disk, then restart`,
            { cause },
          );
          this.o.onError?.(this.syncFailure);
          return;
        }
      }
    }
  }

  synced(): Promise<void> {
    return this.syncing ?? Promise.resolve();
  }

  private prepare(size: number): Promise<OpenSegment> {
    return preallocateSegment(this.o.dir, this.nextSeq++, size, this.sync);
  }

  private drainSoon(): void {
    if (this.draining === null && this.queue.length > 0)
      this.drain().catch((e: Error) => this.o.onError?.(e));
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
    this.lastDrain = performance.now();
    // Every event of a segment sealed by now is in the queue (or already stored): it was acknowledged first.
    const sealed = this.sealed;
    this.sealed = [];
    // Only what is queued now: events acknowledged while an append runs wait for the next drain. Chasing them made a
    // busy server follow every large append with a small one, each paying the store's fixed cost per call (tens of
    // ms of CPU), which was most of the store's cost per event under load.
    let left = this.queue.length;
    while (left > 0) {
      try {
        left -= (await this.drainKept(left)) || (await this.drainDecoded(left));
      } catch (e) {
        this.sealed = sealed.concat(this.sealed);
        throw e;
      }
    }
    await this.synced();
    for (const s of sealed) await this.remove(s);
  }

  /**
   * Closes and removes `s`, once what only it holds is kept elsewhere too (Encoded.copied). That wait is not the
   * drain's: a state file that cannot be written must not stop the store from taking events. Until then the segment
   * stays on disk, and a start-up's replay would read it again (its events by id, its state lines idempotent). Later
   * segments wait behind it: removed first, a kill could leave the replay to hand the state file an older segment's
   * lines after a newer one's, taking series back to older points.
   */
  private async remove(s: OpenSegment): Promise<void> {
    const copies = this.copies.get(s);
    this.copies.delete(s);
    const gone = async () => {
      await closeFd(s.fd);
      await removeSegment(s.path);
    };
    if (copies === undefined && this.removing === null) return gone();
    const chained = (this.removing ?? Promise.resolve())
      .then(() => Promise.all(copies ?? []))
      .then(gone)
      .catch((e: Error) => this.o.onError?.(e));
    this.removing = chained;
    void chained.then(() => {
      if (this.removing === chained) this.removing = null;
    });
  }

  /**
   * Stores the run of kept records at the head of the queue (of its first `left` items) as the batch their keeper
   * prepared: nothing to decode or encode on this thread. Returns the items taken: 0 when the head is no such run,
   * the store takes no prepared batch, or the batch cannot be had (drainDecoded then decodes the run).
   */
  private async drainKept(left: number): Promise<number> {
    const runs = keptOf(this.queue[0]!)?.runs;
    if (runs === undefined || !this.takesPrepared) return 0;
    const keys: number[] = [];
    let items = 0;
    let events = 0;
    while (items < left && events < this.batch) {
      const q = this.queue[items]!;
      const kept = keptOf(q);
      if (kept?.runs !== runs) break;
      keys.push(kept.key);
      events += countOf(q);
      items++;
    }
    const batch = await runs.prepared(keys);
    if (batch === null) return 0;
    try {
      await this.o.sink.appendPrepared!(batch);
    } catch (e) {
      // A refused event: decoded, the run is stored with it set aside (set-aside.ts).
      if (isRefusal(e)) return 0;
      throw e;
    }
    this.taken(items, events);
    return items;
  }

  /**
   * Decodes up to a batch of the queue's head (of its first `left` items) into events and stores them. A batch is
   * `batch` events, or a little more when its last item is a run of encoded records. Kept runs after other items are
   * left to drainKept, if the store takes prepared batches; kept runs this decodes are released.
   */
  private async drainDecoded(left: number): Promise<number> {
    const part: UsageEvent[] = [];
    const patches: AttributionPatch[] = [];
    const contents: CallContent[] = [];
    let items = 0;
    let plain = false;
    let released: KeptRecords | null = null;
    while (items < left && part.length < this.batch) {
      const q = this.queue[items]!;
      const kept = keptOf(q);
      // A kept run after other items starts the next part, where drainKept can take it (when the store can).
      if (kept !== undefined && plain && this.takesPrepared) break;
      items++;
      if (q instanceof Encoded) {
        for (const e of decodeRecords(q.bytes, patches, contents)) part.push(e);
        // A store batch of runs takes tens of ms to decode: requests get the thread between runs.
        await nextTurn();
      } else part.push(q);
      if (kept === undefined) plain = true;
      else released = kept;
    }
    released?.runs.release(released.key);
    const appended = await appendSettingAside(this.o.sink, part, this.o.dir, (r) => this.o.onRefused?.(r));
    if (appended.retired !== undefined) this.o.onRetired?.(appended.retired);
    // After the part's events (see replay); a failure retries both, each idempotent.
    if (patches.length > 0) await this.o.sink.attribute(patches);
    if (contents.length > 0) await this.o.sink.storeContent(contents);
    this.taken(items, part.length);
    return items;
  }

  /** The queue's first `items` are in the store: `events` events. */
  private taken(items: number, events: number): void {
    this.queue.splice(0, items);
    this.depthCount -= events;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    while (this.writing) await new Promise((r) => setImmediate(r));
    await this.drain();
    await this.synced();
    for (const s of [this.seg, ...(this.next === null ? [] : [await this.next])]) await this.remove(s);
  }
}

/** The batch's lines, in order: each run of events appended alone as one buffer of batch lines. */
function linesOf(batch: readonly Pending[]): Buffer[] {
  const lines: Buffer[] = [];
  let run: UsageEvent[] = [];
  for (const { item } of batch) {
    if (!(item instanceof Encoded)) {
      run.push(item);
      continue;
    }
    if (run.length > 0) lines.push(encodeRecords(run));
    run = [];
    lines.push(item.bytes);
  }
  if (run.length > 0) lines.push(encodeRecords(run));
  return lines;
}

/**
 * The batch's lines in one positional gather write, without joining them into one buffer first (a copy of every
 * byte, the size of a whole OTLP export). A short write resumes where it stopped.
 */
async function pwritev(fd: number, lines: Buffer[], position: number): Promise<void> {
  for (let at = 0, rest = lines; rest.length > 0; ) {
    const n = await new Promise<number>((resolve, reject) =>
      writev(fd, rest, position + at, (err, written) => (err ? reject(err) : resolve(written))),
    );
    at += n;
    rest = unwritten(rest, n);
  }
}

/** A plain write on this thread: it lands in the page cache in a few µs, which a kill -9 cannot take back. */
function pwritevSync(fd: number, lines: Buffer[], position: number): void {
  for (let at = 0, rest = lines; rest.length > 0; ) {
    const n = writevSync(fd, rest, position + at);
    at += n;
    rest = unwritten(rest, n);
  }
}

/** What is left of `lines` after the first `n` bytes were written. */
function unwritten(lines: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < lines.length && n >= lines[i]!.length) n -= lines[i++]!.length;
  if (i === lines.length) return [];
  return [lines[i]!.subarray(n), ...lines.slice(i + 1)];
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}

function walClosed(): TokenledgerError {
  return new TokenledgerError(
    'LEDGER_WAL_CLOSED',
    'the write-ahead log is closed; the server is shutting down',
  );
}
