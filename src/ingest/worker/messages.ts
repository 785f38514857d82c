import type { LoadPricerOptions } from '../../pricing/load.js';
import type { ParseContext } from '../../sources/source.js';
import type { PreparedBatch } from '../../store/duckdb/prepare-batch.js';
import type { ImportSummary } from '../summary.js';

/** Canonical sources the worker can parse: their parsers need nothing from the main thread. */
export type WorkerSourceId = 'jsonl' | 'csv';

/** What the worker is given (structured-cloned as workerData). */
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
}

/** Worker → main. `end` is the byte offset in file `file` the batch reaches, for progress. */
export type WorkerMessage =
  | { type: 'batch'; file: number; end: number; prepared: PreparedBatch }
  | { type: 'done'; summary: ImportSummary }
  | { type: 'error'; code: string | null; message: string; stack?: string };

/** Main → worker: one batch was stored, another may be posted. */
export const ACK = 'ack';
