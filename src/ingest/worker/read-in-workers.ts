/**
 * Agent logs and provider exports read by worker threads, handed back file by file in file order. Reading and
 * parsing is most of such an import (300 MB of Claude Code logs: ~1 s of one core, against ~0.3 s to price and store
 * what they hold), and the files are independent, so two workers take turns by file: each claims the next unread
 * one from a shared counter, which balances files of any sizes. Started before the ledger is open when the import
 * state is known without it (cli/import.ts), the reading also overlaps loading DuckDB.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { TokenledgerError } from '../../errors.js';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { ActivityRecord, ProviderCostRecord } from '../../sources/provider-records.js';
import type { ParseContext } from '../../sources/source.js';
import { keptV8Flags } from '../../v8-flags.js';
import { spawnWorker } from '../../worker-thread.js';
import type { ReadOptions, ReadPlan, ReadResult } from '../read-file.js';
import type { ImportSummary } from '../summary.js';
import { type ErrorMessage, errorOf } from './worker-errors.js';

/** What one file held and where its next import starts: what importFiles gets from reading it on its own thread. */
export interface FileRead {
  events: UnpricedEvent[];
  costs: ProviderCostRecord[];
  activity: ActivityRecord[];
  /** Lines, bytes and skips of this file (events are counted by whoever prices them). */
  summary: ImportSummary;
  result: ReadResult;
}

export interface PlannedRead {
  path: string;
  plan: ReadPlan;
  /** Bytes from the plan's offset to the end of the file. */
  bytes: number;
}

/** What each worker is given (structured-cloned as workerData). */
export interface ReadJob {
  /** An IMPORT_KINDS key: the worker loads the parser itself. */
  kind: string;
  files: PlannedRead[];
  /** The next file to claim, shared by the workers. */
  next: Int32Array;
  ctx: Omit<ParseContext, 'path'>;
  read: ReadOptions;
  budgetBytes: number;
  /** V8 flags the process keeps (v8-flags.ts), set again by each worker before it reads: its start reset them. */
  v8Flags: readonly string[];
}

/** Worker → main. */
export type ReadMessage = { type: 'file'; index: number; read: FileRead } | { type: 'done' } | ErrorMessage;

/** Main → worker: the main thread took a file of this worker's, worth `taken` budget bytes. */
export interface ReadReply {
  taken: number;
}

/**
 * Read-ahead per worker, in bytes of the files read: Claude Code logs hold an event per ~20 KB, so 64 MiB is ~3k
 * events waiting; a log of nothing but usage lines (~1 KB each) ~65k, the size of a few store batches.
 */
const BUDGET_BYTES = 64 * 2 ** 20;
/** Each file counts at least this much, so that a folder of empty or tiny files cannot pile up without bound. */
const MIN_FILE_BYTES = 4096;

/**
 * Below this much to read, two workers (each starts in ~40 ms and loads its own modules, while DuckDB loads on the
 * cores they take) cost about what they save. Claude Code logs, first import, three alternating runs each, in a
 * thread against in workers: 9 MB 0.85–1.00 against 0.96–1.17 s, 47 MB 1.04–1.07 against 1.10–1.11 s, 104 MB
 * 1.14–1.21 against 1.11–1.16 s; at 300 MB 2.03–2.15 against 1.57–1.76 s.
 */
const WORKERS_FROM_BYTES = 128 * 2 ** 20;

export const budgetBytesOf = (f: PlannedRead): number => Math.max(f.bytes, MIN_FILE_BYTES);

/** Workers for reading `bytes` of files: two on a machine with two cores or more, none (this thread) for little. */
export function readWorkersFor(bytes: number): number {
  return bytes >= WORKERS_FROM_BYTES && availableParallelism() >= 2 ? 2 : 0;
}

/** Files being read by worker threads; `next()` gives their reads in file order. */
export class WorkerReads {
  private readonly workers: Worker[];
  private readonly arrived = new Map<number, { read: FileRead; from: number }>();
  private taken = 0;
  private failure: Error | null = null;
  /** Workers that said they are done: their exit (terminated) is expected. */
  private readonly finished = new Set<number>();
  private wake: (() => void) | null = null;
  private settled = false;

  constructor(
    { kind, workers }: { kind: string; workers: number },
    private readonly files: readonly PlannedRead[],
    ctx: ReadJob['ctx'],
    read: ReadOptions,
  ) {
    const job: ReadJob = {
      kind,
      files: [...files],
      next: new Int32Array(new SharedArrayBuffer(4)),
      ctx,
      read,
      budgetBytes: BUDGET_BYTES,
      v8Flags: keptV8Flags(),
    };
    this.workers = Array.from({ length: Math.max(1, workers) }, (_, me) => this.start(job, me));
  }

  /** The next file's read, in file order; rejects if a worker failed. */
  async next(): Promise<FileRead> {
    if (this.taken >= this.files.length) throw new Error('every file has been read');
    for (;;) {
      if (this.failure) throw this.failure;
      const got = this.arrived.get(this.taken);
      if (got) {
        this.arrived.delete(this.taken);
        const f = this.files[this.taken++]!;
        if (this.taken === this.files.length) void this.stop();
        else this.workers[got.from]!.postMessage({ taken: budgetBytesOf(f) } satisfies ReadReply);
        return got.read;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Stops the workers (an import that failed, or found it should not use these reads). */
  stop(): Promise<void> {
    this.settled = true;
    return Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
  }

  private start(job: ReadJob, me: number): Worker {
    const w = spawnWorker(import.meta.url, 'read-worker', job);
    const fail = (e: Error) => {
      if (this.settled) return;
      this.failure = e;
      void this.stop();
      this.wakeUp();
    };
    w.on('message', (m: ReadMessage) => {
      if (m.type === 'file') {
        this.arrived.set(m.index, { read: m.read, from: me });
        this.wakeUp();
      } else if (m.type === 'done') {
        this.finished.add(me);
        void w.terminate();
      } else {
        fail(errorOf(m));
      }
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!this.finished.has(me))
        fail(
          new TokenledgerError(
            'SRC_WORKER_FAILED',
            `a read worker stopped early (exit code ${code}); run the import again`,
          ),
        );
    });
    return w;
  }

  private wakeUp(): void {
    this.wake?.();
    this.wake = null;
  }
}
