import type { Worker } from 'node:worker_threads';
import type { PreparedRuns } from '../../ledger/wal/wal.js';
import type { LoadPricerOptions } from '../../pricing/load.js';
import type { Overrides } from '../../pricing/overrides.js';
import type { AttributeMap } from '../../sources/otlp/attribution.js';
import type { GpuPool } from '../../sources/otlp/gpu-energy.js';
import { owned, spawnWorker } from '../../worker-thread.js';
import { appendJournalLines } from './ingest-journal.js';
import { type MappedBatch, type OtlpBatch, OtlpBodyError } from './map-batch.js';
import type { FromWorker, OtlpWorkerData, ToWorker } from './otlp-worker.js';

/**
 * A mapped export; `key`, when not null, names it to `prepared`: the worker keeps its events for the store. `moved`,
 * when not null, names it to `settled`: it moved cumulative series, which the worker holds until told. `stateCopied`,
 * when not null: its records hold state-file lines (ingest-journal.ts), in the file once this resolves (after a
 * `settled` that says the log took them; at once for one that says it did not). It never rejects.
 */
export type MappedExport = MappedBatch & {
  key: number | null;
  moved: number | null;
  stateCopied: Promise<void> | null;
};

/** Maps export requests off the main thread (map-batch.ts), in the order they are given. */
export interface OtlpMapper extends PreparedRuns {
  /**
   * Rejects with OtlpBodyError for a body that does not decode; with another error when the worker failed. Takes the
   * body: one whose memory it owns whole (worker-thread.ts, owned) moves to the worker and is empty here after.
   */
  map(batch: OtlpBatch): Promise<MappedExport>;
  /**
   * Whether the write-ahead log took the export `moved` names: one it refused has its series points taken back, so
   * the next point of each is measured from the last one the ledger recorded a window up to (TemporalityState.undo).
   */
  settled(moved: number, logged: boolean): void;
  /** Prices exports given after this with these overrides (a worker started later reads the file itself). */
  reloadPrices(overrides: Overrides | null): void;
  close(): Promise<void>;
}

export interface OtlpMapperOptions {
  pricing: LoadPricerOptions;
  attributes: AttributeMap;
  gpus?: readonly GpuPool[];
  /** Epoch µs from which cumulative series are new (the server's start). */
  since: number;
  /** Whether the worker keeps exports' events to prepare the store's batches (the log's store takes them). */
  keep: boolean;
  /** Where the worker keeps what it remembers across restarts (ingest-journal.ts); absent: memory only. */
  statePath?: string | null;
  /** Where the worker's notes go (a state journal with lines it could not read). */
  log?: (line: string) => void;
}

/**
 * The receiver's worker thread, started on the first export (a gateway that never receives OTLP pays nothing for
 * it). Decoding, mapping, pricing and encoding the log records are most of an export's CPU; in the worker they run
 * beside the main thread, which only reads bodies, writes the log and answers, and so stays free for the gateway:
 * during a burst of exports its event loop waits ~1 ms at the median instead of 12–19 ms (bench/HISTORY.md, OTLP
 * ingest, Thirteenth session).
 *
 * A worker that dies fails the requests it held (the receiver answers 503, and exporters retry) and the next
 * request starts a new one, which reads what the old one remembered from the journal (`statePath`), as a server
 * does at start. Without a journal its cumulative series start over from then: their first point after is a
 * baseline, so nothing is counted twice.
 */
export function createOtlpMapper(o: OtlpMapperOptions): OtlpMapper {
  let worker: Worker | null = null;
  let closed = false;
  let nextId = 0;
  let since = o.since;
  const waiting = new Map<number, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  /**
   * Mapped exports whose state lines are not in the state file yet, in log order, with the worker that mapped them:
   * that worker writes them once told the log took them. Those of a worker that died (or was closed) are written from
   * here instead, and a new worker starts only after, as it starts from the file.
   */
  const states = new Map<number, StateLines>();
  /** This thread's writes of orphaned state lines, one after another. */
  let writing = Promise.resolve();

  function failAll(err: Error) {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  }

  function start(): Worker {
    const data: OtlpWorkerData = {
      pricing: { ...o.pricing, env: { ...o.pricing.env } },
      attributes: o.attributes,
      gpus: o.gpus ?? [],
      since,
      keep: o.keep,
      statePath: o.statePath ?? null,
    };
    // No heap cap (resourceLimits): a worker that reaches one inside a large allocation, as JSON.parse of a big
    // export makes, can abort the whole process instead of ending the worker (nodejs/node#47224), and this process
    // also serves the gateway. The body limit bounds what one export can take.
    const w = spawnWorker(import.meta.url, 'otlp-worker', data);
    w.on('message', (m: FromWorker) => {
      if ('note' in m) return o.log?.(m.note);
      if ('copied' in m) {
        for (const id of m.copied) copied(id);
        return;
      }
      const p = waiting.get(m.id);
      if (p === undefined) return;
      waiting.delete(m.id);
      if ('error' in m)
        p.reject(
          m.error.badBody ? new OtlpBodyError(m.error.message, m.error.code) : new Error(m.error.message),
        );
      else p.resolve(m);
    });
    const gone = (err: Error) => {
      if (worker !== w) return;
      worker = null;
      since = Date.now() * 1000;
      failAll(err);
      orphan(w);
    };
    w.on('error', (e) => gone(new Error(`the OTLP worker failed: ${e.message}`)));
    w.on('exit', (code) => gone(new Error(`the OTLP worker exited (code ${code})`)));
    return w;
  }

  function copied(id: number): void {
    states.get(id)?.done();
    states.delete(id);
  }

  /** Writes the lines of exports that `w` mapped, and the log took, from here: `w` is gone. */
  function orphan(w: Worker): void {
    for (const [id, s] of states)
      if (s.worker === w) {
        s.worker = null;
        if (s.logged) writeHere(id, s);
      }
  }

  function writeHere(id: number, s: StateLines): void {
    writing = writing
      .then(() => appendJournalLines(o.statePath!, s.lines))
      // The log holds them: a replay at the next start writes them again.
      .catch((e: Error) => o.log?.(`warning: ${e.message}`))
      .then(() => copied(id));
  }

  /**
   * What resolves once no worker that is gone has state lines unwritten (the next worker reads the file they go to),
   * or null when none has.
   */
  function orphansWritten(): Promise<unknown> | null {
    const left = [...states.values()].filter((s) => s.worker === null).map((s) => s.written);
    return left.length === 0 ? null : Promise.all(left);
  }

  /** Posts `m` to worker `w` and resolves with its answer to the message's id. */
  function ask(w: Worker, id: number, m: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      try {
        w.postMessage(m, transfer);
      } catch (e) {
        waiting.delete(id);
        reject(e);
      }
    });
  }

  return {
    async map(batch) {
      if (closed) throw new Error('the OTLP receiver is closed');
      const orphans = worker === null ? orphansWritten() : null;
      if (orphans !== null) {
        await orphans;
        if (closed) throw new Error('the OTLP receiver is closed');
      }
      worker ??= start();
      const w = worker;
      const id = nextId++;
      const m = await ask(w, id, { id, batch }, owned(batch.body));
      if (!('ok' in m)) throw new Error(`the OTLP worker answered export ${id} with no mapping`);
      const r = m.ok.records;
      let stateCopied: Promise<void> | null = null;
      if (m.state !== null) {
        let done = () => {};
        stateCopied = new Promise<void>((resolve) => {
          done = resolve;
        });
        // A worker gone since it answered did not keep them: they are written from here.
        states.set(id, {
          lines: m.state,
          worker: worker === w ? w : null,
          logged: false,
          written: stateCopied,
          done,
        });
      }
      return {
        ...m.ok,
        records: Buffer.from(r.buffer, r.byteOffset, r.byteLength),
        key: m.kept ? id : null,
        moved: m.moved ? id : null,
        stateCopied,
      };
    },
    async prepared(keys) {
      // No worker: the one that kept them is gone, and their records are decoded instead.
      if (worker === null || keys.length === 0) return null;
      const id = nextId++;
      const m = await ask(worker, id, { id, prepare: keys }).catch(() => null);
      return m !== null && 'prepared' in m ? m.prepared : null;
    },
    release(key) {
      worker?.postMessage({ release: key } satisfies ToWorker);
    },
    settled(moved, logged) {
      const s = states.get(moved);
      if (s !== undefined && !logged) copied(moved); // nothing to write: the log does not hold them
      if (s !== undefined && logged) {
        s.logged = true;
        if (s.worker === null) writeHere(moved, s);
      }
      // A worker started since has not these moves: it read the state file, which does not hold them.
      if (s === undefined || s.worker !== null)
        worker?.postMessage({ settled: moved, logged } satisfies ToWorker);
    },
    reloadPrices(overrides) {
      worker?.postMessage({ overrides } satisfies ToWorker);
    },
    async close() {
      closed = true;
      const w = worker;
      worker = null;
      failAll(new Error('the OTLP receiver is closing'));
      await w?.terminate();
      if (w !== null) orphan(w);
      await writing;
    },
  };
}

/** An export's state lines on their way to the state file (see `states` in createOtlpMapper). */
interface StateLines {
  lines: string[];
  /** The worker that writes them; null once it is gone. */
  worker: Worker | null;
  /** The log took them. */
  logged: boolean;
  /** Resolves once they are in the file, or will never be (the log refused them). */
  written: Promise<void>;
  done: () => void;
}
