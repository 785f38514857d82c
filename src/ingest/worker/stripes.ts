import { availableParallelism } from 'node:os';
import type { Skip } from '../../sources/source.js';
import type { SkipAt, Striping, WorkerSourceId } from './messages.js';

/**
 * Several parse workers on one canonical JSONL import. Parsing, pricing and encoding take one core (~10 CPU-s per 1M
 * events) while DuckDB's side of the import takes less than the second, so with one worker a 2-core machine idled
 * ~0.4 of a core throughout. Workers take turns by stripe, a run of whole 1 MiB chunks of lines, and each reads the
 * chunks of the others too (the reader counts their lines as it goes, which is what gives each worker the line
 * numbers of its own), so no worker needs anything from another. The main thread stores the batches in file order,
 * stripe by stripe: the ledger gets the same rows in the same order as from one worker, which keeps its time-ordered
 * row groups (dedup and queries prune on them) and its context ids.
 */

/** 16 MiB: ~16k events of ~1 KB, about one batch. */
const STRIPE_CHUNKS = 16;
/** Below this a second worker costs more to start (its own pricer) than it saves. */
const STRIPED_FROM_BYTES = 64 * 2 ** 20;

/**
 * Two workers for a JSONL import of 64 MiB or more on a machine with two cores or more; one otherwise. Not more:
 * DuckDB's side is then the slower one, and each worker's heap counts against the import's memory. CSV is parsed by
 * one worker (a quoted field may hold a newline, so a chunk need not start a record).
 */
export function stripingFor(sourceId: WorkerSourceId, totalBytes: number): Striping {
  const striped = sourceId === 'jsonl' && totalBytes >= STRIPED_FROM_BYTES && availableParallelism() >= 2;
  return striped
    ? { workers: 2, stripeChunks: STRIPE_CHUNKS }
    : { workers: 1, stripeChunks: Number.POSITIVE_INFINITY };
}

/** The stripe chunk `chunkNo` (0-based) of a file belongs to. */
export const stripeOf = (chunkNo: number, s: Striping): number => Math.floor(chunkNo / s.stripeChunks);

/** How many stripes a file of `chunks` chunks has: stripe 0 always, so an empty file still has a last batch. */
export const stripeCount = (chunks: number, s: Striping): number =>
  Math.max(1, Math.ceil(chunks / s.stripeChunks));

/**
 * Batches from several workers put back in file order: file by file, stripe by stripe, each stripe's batches as its
 * worker posted them. A stripe is complete at its batch marked `last`; a file at its stripe count (`fileEnd`).
 */
export class StripeOrder<T> {
  private file = 0;
  private stripe = 0;
  private readonly held = new Map<string, { items: T[]; last: boolean }>();
  private readonly stripesOf = new Map<number, number>();

  constructor(private readonly files: number) {}

  /** Takes a batch of (file, stripe); returns the batches now next in order, in order. */
  batch(file: number, stripe: number, last: boolean, item: T): T[] {
    const key = `${file}/${stripe}`;
    let h = this.held.get(key);
    if (h === undefined) {
      h = { items: [], last: false };
      this.held.set(key, h);
    }
    h.items.push(item);
    h.last = last;
    return this.drain();
  }

  /** Takes a file's stripe count (any number of times); returns the batches now next in order. */
  fileEnd(file: number, stripes: number): T[] {
    this.stripesOf.set(file, stripes);
    return this.drain();
  }

  /** Whether every file's every stripe has been handed on. */
  get complete(): boolean {
    return this.file >= this.files && this.held.size === 0;
  }

  private drain(): T[] {
    const out: T[] = [];
    while (this.file < this.files) {
      if (this.stripe >= (this.stripesOf.get(this.file) ?? Number.POSITIVE_INFINITY)) {
        this.file++;
        this.stripe = 0;
        continue;
      }
      const key = `${this.file}/${this.stripe}`;
      const h = this.held.get(key);
      if (h === undefined) break;
      out.push(...h.items);
      h.items = [];
      if (!h.last) break;
      this.held.delete(key);
      this.stripe++;
    }
    return out;
  }
}

/** The first `max` skips of several workers in file order (each worker's own are in file order already). */
export function firstSkipsInOrder(workers: { skips: Skip[]; at: SkipAt[] }[], max: number): Skip[] {
  return workers
    .flatMap((w) => w.skips.map((skip, i) => ({ skip, at: w.at[i]! })))
    .sort((a, b) => a.at.file - b.at.file || a.at.line - b.at.line)
    .slice(0, max)
    .map((x) => x.skip);
}
