import type { UnpricedEvent, UsageEvent } from '../ledger/event.js';
import type { ActivityRecord, ProviderCostRecord } from '../sources/provider-records.js';
import type { ParseContext } from '../sources/source.js';
import type { Store } from '../store/store.js';
import type { ImportSummary } from './summary.js';
import type { Striping, WorkerPricing } from './worker/import-in-worker.js';

export interface ImportDeps {
  store: Store;
  price: (e: UnpricedEvent) => UsageEvent;
  ingestedAt: number;
  defaults?: ParseContext['defaults'];
  /** Called as work is done: (done, total) in bytes for files, events for generated input. */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
  /** Called once before the first file is read (not at all when nothing changed): e.g. to load the pricer. */
  beforeRead?: () => Promise<void>;
  /** Epoch ms; decides whether a file is still being written. Default Date.now(). */
  nowMs?: number;
  /** Lets canonical imports price in a worker thread, which loads its own pricer with these options (worker/). */
  workerPricing?: WorkerPricing;
  /** How many parse workers share a canonical import, and in what stripes; chosen by size and cores unless given. */
  striping?: Striping;
  /**
   * How often the state of the files read so far is saved during an import (default: each second), so that one
   * interrupted (Ctrl-C, a status line cancelled by its next redraw) resumes from there. 0: after every file.
   */
  saveStatesEveryMs?: number;
}

/** Inputs between turns of the event loop while an append is in flight (~0.3 ms of parsing canonical JSONL). */
const YIELD_EVERY = 32;

/** Side records are few (a cost line per day and item, a row per person-day); they go in modest batches. */
const SIDE_BATCH = 5_000;

/**
 * Prices events and appends them to the store in batches, counting as it goes. One append may be in flight while
 * the next batch is parsed — DuckDB inserts on its own threads, so parsing and storing overlap — and a full batch
 * waits for it: memory holds at most two batches. Callers `add` synchronously (parsers emit from sync code) and await
 * `maybeFlush` between inputs; `flush` waits for everything. Provider costs and activity go to the store's side
 * tables; a store without them (no `records`) only counts them.
 */
export function createBatcher(deps: ImportDeps, summary: ImportSummary) {
  // 20k: larger batches held more garbage (1M-event import: 886 MB peak RSS at 50k, 703 MB at 20k) and were no faster.
  const batchSize = deps.batchSize ?? 20_000;
  let batch: UsageEvent[] = [];
  let costs: ProviderCostRecord[] = [];
  let activity: ActivityRecord[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let appending = false;
  let sinceYield = 0;
  const records = deps.store.records;
  const start = async () => {
    await inFlight;
    const full = batch;
    batch = [];
    appending = true;
    inFlight = deps.store.append(full).then((r) => {
      appending = false;
      summary.imported += r.inserted;
      summary.duplicates += r.duplicates;
      summary.retired += r.retired ?? 0;
      // Counted from what the store inserted: a re-imported unpriced event is a duplicate, not unpriced again.
      summary.unpriced.events += r.unpriced.events;
      summary.unpriced.tokens += r.unpriced.tokens;
    });
  };
  const flushSide = async () => {
    if (!records) return;
    if (costs.length > 0) {
      const r = await records.appendCosts(costs, deps.ingestedAt);
      costs = [];
      summary.costs.imported += r.inserted;
      summary.costs.duplicates += r.duplicates;
    }
    if (activity.length > 0) {
      const r = await records.appendActivity(activity, deps.ingestedAt);
      activity = [];
      summary.activity.imported += r.inserted;
      summary.activity.duplicates += r.duplicates;
    }
  };
  return {
    add(e: UnpricedEvent) {
      batch.push(deps.price(e));
      summary.events++;
    },
    cost(r: ProviderCostRecord) {
      summary.costs.read++;
      if (records) costs.push(r);
    },
    activity(r: ActivityRecord) {
      summary.activity.read++;
      if (records) activity.push(r);
    },
    maybeFlush(): Promise<void> | undefined {
      if (costs.length >= SIDE_BATCH || activity.length >= SIDE_BATCH) return inFlight.then(flushSide);
      if (batch.length >= batchSize) return start();
      // An append is a chain of ~15 DuckDB statements, each continued by a callback that runs only when this thread
      // reaches the event loop; parsing without a break held each one back for up to a whole read chunk (1M-event
      // import: the main thread idle 28% of the time, DuckDB waiting the rest). A turn of the loop every few hundred
      // inputs lets the next statement start at once.
      if (appending && ++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        return new Promise<void>((resolve) => setImmediate(resolve));
      }
      return undefined;
    },
    async flush() {
      if (batch.length > 0) await start();
      await inFlight;
      await flushSide();
    },
  };
}
