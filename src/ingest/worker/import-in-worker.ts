import { Worker } from 'node:worker_threads';
import { TokenledgerError } from '../../errors.js';
import type { LoadPricerOptions } from '../../pricing/load.js';
import type { PreparedBatch } from '../../store/duckdb/prepare-batch.js';
import type { AppendResult } from '../../store/store.js';
import type { ImportDeps } from '../batcher.js';
import { addSummary, type ImportSummary } from '../summary.js';
import { ACK, type WorkerJob, type WorkerMessage, type WorkerSourceId } from './messages.js';

export type { WorkerSourceId } from './messages.js';

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
 */
const WORKER_YOUNG_MB = 192;

// Under vitest/tsx this module is TypeScript and the worker must be too; the built CLI runs the compiled .js.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(fromSource ? './parse-worker.ts' : './parse-worker.js', import.meta.url);

/**
 * Imports canonical files (read from the start) with parsing, validation, pricing and the store's encoding in a
 * worker thread; this thread only hands each prepared batch to `appendPrepared` (the store's Store.appendPrepared).
 * At most `inFlight` batches wait here, so memory stays flat however large the files. Adds the counts to `summary`
 * exactly as the in-thread path would.
 */
export function importInWorker(
  sourceId: WorkerSourceId,
  files: readonly { path: string; size: number }[],
  deps: ImportDeps,
  appendPrepared: (batch: PreparedBatch) => Promise<AppendResult>,
  pricing: WorkerPricing,
  judge: boolean,
  summary: ImportSummary,
): Promise<void> {
  const job: WorkerJob = {
    sourceId,
    paths: files.map((f) => f.path),
    ingestedAt: deps.ingestedAt,
    defaults: deps.defaults,
    pricer: { overridesPath: pricing.overridesPath, cwd: pricing.cwd, env: { ...pricing.env } },
    judge,
    batchSize: deps.batchSize ?? 20_000,
    inFlight: 2,
  };
  const before: number[] = [];
  let acc = 0;
  for (const f of files) {
    before.push(acc);
    acc += f.size;
  }
  const total = acc;
  // Node 20 will not start a worker from a .ts file even with tsx loaded: register tsx first, then import it.
  const worker = fromSource
    ? new Worker(
        `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`,
        { eval: true, workerData: job },
      )
    : new Worker(WORKER_URL, {
        workerData: job,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
      });
  return new Promise<void>((resolve, reject) => {
    let stored: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      void worker.terminate();
      reject(e);
    };
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
        // Handed to the store at once, not after the previous append returns: the store queues the appends and runs
        // them in order. A failed append fails the import; a batch already handed over may still land (a re-import
        // adds what is missing, duplicates are dropped).
        const appended = m.prepared.given > 0 ? appendPrepared(m.prepared) : null;
        appended?.catch(() => undefined); // awaited in order below
        // Not `m` in a closure: it would keep the batch's columns alive until the append is done.
        const done = before[m.file]! + m.end;
        stored = stored
          .then(async () => {
            if (appended) {
              const r = await appended;
              summary.imported += r.inserted;
              summary.duplicates += r.duplicates;
            }
            deps.onProgress?.(done, total);
            if (!failed) worker.postMessage(ACK);
          })
          .catch(fail);
      } else if (m.type === 'done') {
        const counted = m.summary;
        stored
          .then(() => {
            addSummary(summary, counted);
            failed = true; // settled: the exit that follows is expected
            resolve();
            return worker.terminate();
          })
          .catch(fail);
      } else {
        const e = m.code ? new TokenledgerError(m.code, m.message) : new Error(m.message);
        if (m.stack) e.stack = m.stack;
        fail(e);
      }
    });
  });
}
