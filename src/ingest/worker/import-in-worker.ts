import type { Worker } from 'node:worker_threads';
import { TokenledgerError } from '../../errors.js';
import type { LoadPricerOptions } from '../../pricing/load.js';
import type { DemoOptions } from '../../sources/demo/index.js';
import type { PreparedBatch } from '../../store/duckdb/prepare-batch.js';
import type { EventAppendResult } from '../../store/store.js';
import { spawnWorker } from '../../worker-thread.js';
import type { ImportDeps } from '../batcher.js';
import { addSummary, FIRST_SKIPS, type ImportSummary } from '../summary.js';
import { ACK, type WorkerJob, type WorkerMessage, type WorkerSourceId } from './messages.js';
import { firstSkipsInOrder, StripeOrder, stripingFor } from './stripes.js';
import { errorOf } from './worker-errors.js';

export type { Striping, WorkerSourceId } from './messages.js';

/** How the worker builds its own pricer: the same options the main thread's was loaded with. */
export type WorkerPricing = LoadPricerOptions;

/**
 * The worker's old generation: it holds at most the batch it is filling (20k events, ~40 MB as objects) and its
 * pricer; left to itself V8 lets it grow well past that, and the peak RSS of an import (goal: 1 GB at 10M events)
 * counts it. A tight cap costs GC time (1M events: 32.4 user-s and 644 MB peak RSS capped at 128 MB, 28.7 user-s and
 * 696 MB uncapped), hence this middle value; a batch that does not fit fails as SRC_WORKER_FAILED, not silently.
 */
const WORKER_HEAP_MB = 192;

/**
 * The worker's young generation. The batch being filled (up to 20k priced events) survives every scavenge until it
 * is posted, so each scavenge copied ~10 MB of it: 165 scavenges took 1.9 s of a 1M-event import with V8's default
 * 16 MB semi-spaces. With room for a few batches' allocation (64 MB semi-spaces) they are a quarter as many. 1M
 * events, three alternating runs: 17.0-18.8 s against 18.7-20.3 s, peak RSS 644-684 MB against 510-536 MB.
 * Two workers (stripes.ts) get 64 MB each: at 192 MB each the 1M import peaked at 905-917 MB (11.7-12.7 s), at 64 MB
 * at 753-799 MB (12.4-12.8 s), at 48 MB at 680-688 MB (12.8 s). The demo's worker too: the default demo (961k
 * events), two alternating runs each, 10.1-10.5 s and 729-738 MB at 192, 10.1-10.4 s and 644-648 MB at 64, 10.8-11.6
 * s and 587-618 MB at 32.
 */
const WORKER_YOUNG_MB = 192;
const SMALL_WORKER_YOUNG_MB = 64;

/**
 * Imports canonical files (read from the start) with parsing, validation, pricing and the store's encoding in worker
 * threads (one, or two taking turns by stripe: stripes.ts); this thread only hands each prepared batch, in file order,
 * to `appendPrepared` (the store's Store.appendPrepared). Each worker has at most `inFlight` batches waiting here, so
 * memory stays flat however large the files. Adds the counts to `summary` exactly as the in-thread path would.
 * With `demo` (source `demo`), the worker generates the demo organisation instead: one pseudo-file in `files`, whose
 * size is the events expected (progress counts events).
 */
export function importInWorker(
  sourceId: WorkerSourceId,
  files: readonly { path: string; size: number }[],
  deps: ImportDeps,
  appendPrepared: (batch: PreparedBatch) => Promise<EventAppendResult>,
  pricing: WorkerPricing,
  judge: boolean,
  summary: ImportSummary,
  demo: DemoOptions | null = null,
): Promise<void> {
  const before: number[] = [];
  let acc = 0;
  for (const f of files) {
    before.push(acc);
    acc += f.size;
  }
  const total = acc;
  const striping = deps.striping ?? stripingFor(sourceId, total);
  const job = (me: number): WorkerJob => ({
    sourceId,
    paths: files.map((f) => f.path),
    ingestedAt: deps.ingestedAt,
    defaults: deps.defaults,
    pricer: { overridesPath: pricing.overridesPath, cwd: pricing.cwd, env: { ...pricing.env } },
    judge,
    batchSize: deps.batchSize ?? 20_000,
    inFlight: 2,
    striping,
    me,
    demo,
  });
  const youngMb = striping.workers === 1 && !demo ? WORKER_YOUNG_MB : SMALL_WORKER_YOUNG_MB;
  const workers = Array.from({ length: striping.workers }, (_, me) => startWorker(job(me), youngMb));
  return new Promise<void>((resolve, reject) => {
    const order = new StripeOrder<Posted>(files.length);
    const finished: Extract<WorkerMessage, { type: 'done' }>[] = [];
    let stored: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    // In file order only, however the workers' messages interleave: the store queues the appends and runs them in
    // the order given. A failed append fails the import; a batch already handed over may still land (a re-import adds
    // what is missing, duplicates are dropped).
    const store = (p: Posted) => {
      const appended = p.prepared.given > 0 ? appendPrepared(p.prepared) : null;
      appended?.catch(() => undefined); // awaited in order below
      // Not `p` in the closure: it would keep the batch's columns alive until the append is done.
      const { me, done } = p;
      stored = stored
        .then(async () => {
          if (appended) {
            const r = await appended;
            summary.imported += r.inserted;
            summary.duplicates += r.duplicates;
            summary.retired += r.retired ?? 0;
            // From what the store inserted: a re-imported unpriced event is a duplicate, not unpriced again.
            summary.unpriced.events += r.unpriced.events;
            summary.unpriced.tokens += r.unpriced.tokens;
          }
          deps.onProgress?.(done, total);
          if (!failed) workers[me]!.postMessage(ACK);
        })
        .catch(fail);
    };
    const finish = () => {
      if (!order.complete) throw new Error('the import workers stopped before every stripe was stored');
      // Counts add up; first skips are merged in file order, not worker by worker.
      for (const f of finished) addSummary(summary, { ...f.summary, firstSkips: [] });
      summary.firstSkips.push(
        ...firstSkipsInOrder(
          finished.map((f) => ({ skips: f.summary.firstSkips, at: f.skipsAt })),
          FIRST_SKIPS - summary.firstSkips.length,
        ),
      );
      failed = true; // settled: the exits that follow are expected
      resolve();
      return Promise.all(workers.map((w) => w.terminate()));
    };
    workers.forEach((worker, me) => {
      worker.on('error', (e: Error & { code?: string }) =>
        fail(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new TokenledgerError(
                'SRC_WORKER_FAILED',
                `the import worker ran out of memory (${WORKER_HEAP_MB} MB); import the file in smaller parts`,
              )
            : e,
        ),
      );
      worker.on('exit', (code) => {
        if (!failed)
          fail(
            new TokenledgerError(
              'SRC_WORKER_FAILED',
              `the import worker stopped early (exit code ${code}); run the import again`,
            ),
          );
      });
      worker.on('message', (m: WorkerMessage) => {
        if (failed) return;
        if (m.type === 'batch') {
          const posted = { me, done: before[m.file]! + m.end, prepared: m.prepared };
          for (const p of order.batch(m.file, m.stripe, m.last, posted)) store(p);
        } else if (m.type === 'file-end') {
          for (const p of order.fileEnd(m.file, m.stripes)) store(p);
        } else if (m.type === 'done') {
          finished.push(m);
          if (finished.length === workers.length) stored.then(finish).catch(fail);
        } else {
          fail(errorOf(m));
        }
      });
    });
  });
}

/** A batch as a worker posted it: which worker (to acknowledge), the progress it makes, the batch. */
interface Posted {
  me: number;
  done: number;
  prepared: PreparedBatch;
}

function startWorker(job: WorkerJob, youngMb: number): Worker {
  return spawnWorker(import.meta.url, 'parse-worker', job, {
    maxOldGenerationSizeMb: WORKER_HEAP_MB,
    maxYoungGenerationSizeMb: youngMb,
  });
}
