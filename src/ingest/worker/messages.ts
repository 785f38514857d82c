import type { LoadPricerOptions } from '../../pricing/load.js';
import type { DemoOptions } from '../../sources/demo/index.js';
import type { ParseContext } from '../../sources/source.js';
import type { PreparedBatch } from '../../store/duckdb/prepare-batch.js';
import type { ImportSummary } from '../summary.js';
import type { ErrorMessage } from './worker-errors.js';

/**
 * What the worker makes events from: canonical files (their parsers need nothing from the main thread), or the demo
 * organisation's generator (`WorkerJob.demo`; no file).
 */
export type WorkerSourceId = 'jsonl' | 'csv' | 'demo';

/**
 * How the parse workers share the files (stripes.ts): worker `me` of `workers` parses the stripes `s` with
 * `s % workers === me`, a stripe being `stripeChunks` consecutive 1 MiB chunks of whole lines.
 */
export interface Striping {
  workers: number;
  stripeChunks: number;
}

/** What a worker is given (structured-cloned as workerData). */
export interface WorkerJob {
  sourceId: WorkerSourceId;
  paths: string[];
  ingestedAt: number;
  defaults: ParseContext['defaults'];
  pricer: LoadPricerOptions;
  /** Lines with bytes that are not UTF-8 go to the parser rather than being skipped as SRC_NOT_UTF8. */
  judge: boolean;
  batchSize: number;
  /** Batches the worker may post before the main thread has stored one: bounds memory. */
  inFlight: number;
  striping: Striping;
  me: number;
  /** For `demo`: the generator's options (paths then name one pseudo-file, whose "bytes" are events). */
  demo: DemoOptions | null;
}

/** Where a skip was, to put several workers' first skips back in file order. */
export interface SkipAt {
  file: number;
  line: number;
}

/**
 * Worker → main. A stripe's batches come in order and its last one says so (`last`, possibly with no events); `end`
 * is the byte offset in file `file` the batch reaches, for progress. `stripes` is how many a file has, from the
 * worker that read to its end first.
 */
export type WorkerMessage =
  | { type: 'batch'; file: number; stripe: number; last: boolean; end: number; prepared: PreparedBatch }
  | { type: 'file-end'; file: number; stripes: number }
  | { type: 'done'; summary: ImportSummary; skipsAt: SkipAt[] }
  | ErrorMessage;

/** Main → worker: one batch was stored, another may be posted. */
export const ACK = 'ack';
