import { parentPort, workerData } from 'node:worker_threads';
import type { UsageEvent } from '../../ledger/event.js';
import { withOtlpState } from '../../ledger/wal/codec.js';
import { type LoadPricerOptions, loadPricer } from '../../pricing/load.js';
import type { Overrides } from '../../pricing/overrides.js';
import { createPricer } from '../../pricing/pricer.js';
import type { AttributeMap } from '../../sources/otlp/attribution.js';
import type { GpuPool } from '../../sources/otlp/gpu-energy.js';
import {
  createOtlpIngest,
  type OtlpIngest,
  type Remembered,
  type RememberSink,
} from '../../sources/otlp/ingest.js';
import type { SeriesPoint } from '../../sources/otlp/temporality.js';
import { DetachedPreparer, type PreparedBatch, preparedTransfer } from '../../store/duckdb/prepare-batch.js';
import { owned } from '../../worker-thread.js';
import { IngestJournal, readIngestJournal } from './ingest-journal.js';
import { type MappedBatch, mapBatch, type OtlpBatch, OtlpBodyError } from './map-batch.js';

/** What the receiver starts the worker with (otlp-mapper.ts). */
export interface OtlpWorkerData {
  pricing: LoadPricerOptions;
  attributes: AttributeMap;
  gpus: readonly GpuPool[];
  /** Epoch µs from which cumulative series are new (ingest.ts). */
  since: number;
  /** Keep exports' events for the store's batches (OtlpMapperOptions.keep). */
  keep: boolean;
  /** The journal of what the mappings remember across restarts (ingest-journal.ts), or null for memory only. */
  statePath: string | null;
}

/**
 * An export to map; the price overrides now in force (serve reloaded its overrides file: price-reload.ts); the
 * store's batch of kept exports' events (by their ids, in log order); or exports the store will not ask for.
 */
export type ToWorker =
  | { id: number; batch: OtlpBatch }
  /** Whether the write-ahead log took an export that moved cumulative series (`moved` in its answer). */
  | { settled: number; logged: boolean }
  | { overrides: Overrides | null }
  | { id: number; prepare: readonly number[] }
  | { release: number };
export type FromWorker =
  /**
   * `kept`: the worker keeps the export's events, to hand them to the store prepared (see `prepare`). `moved`: the
   * export moved cumulative series or brought new per-request keys, which the worker takes back if the log refuses it
   * (see `settled`). `state`: the state-file lines its records lead with (ingest-journal.ts), which the worker writes
   * to the file once told the log took them (then `copied`); null when there is no state file or nothing moved.
   */
  | { id: number; ok: MappedBatch; kept: boolean; moved: boolean; state: string[] | null }
  /** The state lines of these logged exports are in the state file now. */
  | { copied: number[] }
  | { id: number; error: { badBody: boolean; message: string; code?: OtlpBodyError['code'] } }
  /** Null when some export asked for is not kept here (a new worker), or its events do not encode. */
  | { id: number; prepared: PreparedBatch | null }
  /** Something the server's log should say (the state journal had lines it could not read). */
  | { note: string };

/**
 * The OTLP worker: maps export requests one at a time, in the order they arrive, so the state the mappings keep
 * across requests (cumulative series, which keys sent per-request usage) sees them in order.
 *
 * It also keeps each export's priced events until the write-ahead log drains them, and then encodes them for the
 * store (prepare-batch.ts) here: the main thread would otherwise decode the log records back into events and encode
 * those, ~10 µs a span of its time (bench/RESULTS.md, OTLP), on the thread that also serves the gateway.
 */
const data = workerData as OtlpWorkerData;
const port = parentPort!;
let ready = loadPricer(data.pricing).then((pricer) => ({ pricer, ...startIngest() }));
// A pricer or journal that fails to load fails each export with its reason (a 503), not the worker as it starts.
ready.catch(() => {});

/** A cumulative series' point an export set, and the one before it (ingest.ts, RememberSink). */
interface Move {
  key: string;
  point: SeriesPoint;
  before: SeriesPoint | undefined;
}
/** The moves of the export being mapped. */
let moving: Move[] = [];
/** The per-request keys the export being mapped marked first (RememberSink.perRequest). */
let marking: string[] = [];
/**
 * Each export's moves, the per-request keys it carried that no logged export has (see `unlogged`), and the state lines
 * they made, until the main thread says whether the write-ahead log took it: a taken one's lines go to the state file
 * then; a refused one (503) is taken back, so that if its exporter drops it the next point still counts its window
 * (TemporalityState.undo), and the counters of its keys still count.
 */
const unsettled = new Map<number, { moves: Move[]; keys: string[]; lines: string[] }>();
/**
 * Per-request keys first marked by an export the log has not taken yet, with the unsettled exports that carry them:
 * once one of those is logged the key stands; once all are refused it is unmarked, as no per-request record of it is
 * in the ledger: left marked, its agent's counters would be dropped, and its calls counted nowhere.
 */
const unlogged = new Map<string, Set<number>>();
/** Logged exports whose state lines the journal holds but has not written yet (a flush failed). */
let uncopied: number[] = [];
/**
 * While an undo runs, the series whose points it moves: their lines are written after it, from `durable` (see `undo`),
 * not as it tells them. Null otherwise.
 */
let restating: Set<string> | null = null;

function startIngest(): { ingest: OtlpIngest; journal: IngestJournal | null } {
  const base = { since: data.since, attributes: data.attributes, gpus: data.gpus };
  let journal: IngestJournal | null = null;
  let remembered: Remembered | undefined;
  if (data.statePath !== null) {
    const read = readIngestJournal(data.statePath);
    if (read.damaged > 0)
      port.postMessage({
        note: `warning: ${read.damaged} line(s) of ${data.statePath} could not be read and were skipped (${read.problems.join('; ')})`,
      } satisfies FromWorker);
    // A new file, or one whose since is unknown, starts from now (the server's start): series that began before are
    // baselines. One that says goes on from its since, so a series that began before this start and was never
    // exported before it (an SDK's first export comes a minute after) is counted whole.
    remembered = { ...read.remembered, since: read.remembered.since ?? data.since };
    journal = new IngestJournal(data.statePath, remembered);
  }
  const sink: RememberSink = {
    perRequest(key) {
      marking.push(key);
      journal?.perRequest(key);
    },
    series(key, point, before) {
      moving.push({ key, point, before });
      if (restating !== null) restating.add(key);
      else journal?.series(key, point);
    },
    forget(key) {
      if (restating !== null) restating.add(key);
      else journal?.forget(key);
    },
    since: (since) => journal?.since(since),
  };
  return { ingest: createOtlpIngest({ ...base, ...(remembered ? { remembered } : {}), sink }), journal };
}

/** Takes back `moves`, last first. */
function takeBack(ingest: OtlpIngest, moves: readonly Move[]): void {
  // The points an undo puts back are told to the sink as moves too: they are no export's, and must not join the
  // moves of the export mapped last, which a refusal of that one would then "take back" to the refused point.
  moving = [];
  for (let i = moves.length - 1; i >= 0; i--) ingest.undo(moves[i]!.key, moves[i]!.point, moves[i]!.before);
}

/** The keys of `perRequest` that no logged export has: new ones (`marked`), or ones an unsettled export brought. */
function carried(id: number, perRequest: ReadonlySet<string>, marked: readonly string[]): string[] {
  for (const k of marked) unlogged.set(k, new Set());
  const keys = [...perRequest].filter((k) => unlogged.has(k));
  for (const k of keys) unlogged.get(k)!.add(id);
  return keys;
}

/** Unmarks each of `keys` that no export but the refused `id` carried (see `unlogged`). */
function unmark(ingest: OtlpIngest, id: number, keys: readonly string[]): void {
  for (const k of keys) {
    const by = unlogged.get(k);
    if (by === undefined) continue;
    by.delete(id);
    if (by.size > 0) continue;
    unlogged.delete(k);
    ingest.unmark(k);
  }
}

/**
 * Takes back the moves and keys of an export the log refused, and writes what that changed to the journal. A series
 * goes back to the point before the refused export, which may be the point of an earlier export the log has not taken
 * yet (it waits, or its refusal comes later): the journal gets the series where `durable` has it, as a compaction
 * would write it, so that the file never holds a point before the log does.
 */
async function undo(id: number, moves: readonly Move[], keys: readonly string[]): Promise<void> {
  const { ingest, journal } = await ready;
  restating = new Set();
  try {
    takeBack(ingest, moves);
  } finally {
    const touched = restating;
    restating = null;
    if (journal !== null && touched.size > 0) {
      const waiting = unloggedPoints(ingest);
      for (const key of touched) {
        const p = waiting.has(key) ? waiting.get(key) : ingest.point(key);
        if (p === undefined) journal.forget(key);
        else journal.series(key, p);
      }
    }
  }
  // No line: a key's line reaches the file only with a logged export's (or a compaction's, which leaves these out).
  unmark(ingest, id, keys);
  flushAfterAnswer(ingest, journal);
}

/** Writes the state lines of an export the log took (`settled`) to the journal. */
async function copy(id: number, lines: readonly string[]): Promise<void> {
  const { ingest, journal } = await ready;
  if (journal === null) return;
  journal.add(lines);
  uncopied.push(id);
  flushAfterAnswer(ingest, journal);
}

/** A flush after the export's answer: one that fails is said, and the next flush writes its lines. */
function flushAfterAnswer(ingest: OtlpIngest, journal: IngestJournal | null): void {
  try {
    if (journal !== null) flush(ingest, journal);
  } catch (e) {
    port.postMessage({ note: `warning: ${(e as Error).message}` } satisfies FromWorker);
  }
}

/** Flushes the journal; then tells the main thread which logged exports' state lines it wrote. Throws as flush does. */
function flush(ingest: OtlpIngest, journal: IngestJournal): void {
  journal.flush(() => durable(ingest));
  if (uncopied.length === 0) return;
  port.postMessage({ copied: uncopied } satisfies FromWorker);
  uncopied = [];
}

/**
 * What the journal is written again from, whole: what is remembered, except that each series an export the log has
 * not taken yet moved stands at its point before that export, or before the refused ones it was measured from (or is
 * left out, for its first point): the file never holds a point before the log does, nor one the log refused.
 */
function durable(ingest: OtlpIngest): Remembered {
  const all = ingest.remembered();
  if (unsettled.size === 0) return all;
  const before = unloggedPoints(ingest);
  const series: [string, SeriesPoint][] = [];
  for (const [key, point] of all.series) {
    const p = before.has(key) ? before.get(key) : point;
    if (p !== undefined) series.push([key, p]);
  }
  const perRequest = [...all.perRequest].filter((k) => !unlogged.has(k));
  return { ...all, perRequest, series };
}

/**
 * Each series an export the log has not taken yet moved, with the point it stands at for the file: the one before the
 * first such export, or before the refused ones it was measured from (undefined: its first point, left out).
 */
function unloggedPoints(ingest: OtlpIngest): Map<string, SeriesPoint | undefined> {
  const before = new Map<string, SeriesPoint | undefined>();
  for (const { moves } of unsettled.values())
    for (const m of moves) if (!before.has(m.key)) before.set(m.key, ingest.logged(m.before));
  return before;
}

/** Kept exports' events by export id, oldest first (ids only grow). */
const kept = new Map<number, readonly UsageEvent[]>();
let keptEvents = 0;
/**
 * Two of the log's store batches (wal.ts): ~32 MB of this heap at ~800 bytes a kept event (measured on the benchmark's
 * spans), where a drain every 2 s or every 5,000 events keeps a few MB. Past it, as when the store falls far behind,
 * the oldest are dropped and the main thread decodes their records instead, as it did for all of them before.
 */
const KEEP_MAX = 40_000;
// Every event comes from pricer.price: its rate cards are checked (CardsChecked). With the rollup sums a server's
// store takes (the store of a server keeps pending rollups); without them DuckDB sums the batch, ~18 ms an append.
const preparer = new DetachedPreparer(true, true);

/** Drops the kept exports up to `id`: the log drains in order, so none of them will be asked for again. */
function release(id: number): void {
  for (const [k, events] of kept) {
    if (k > id) break;
    kept.delete(k);
    keptEvents -= events.length;
  }
}

function keep(id: number, events: UsageEvent[]): boolean {
  kept.set(id, events);
  keptEvents += events.length;
  while (keptEvents > KEEP_MAX) release(kept.keys().next().value!);
  return kept.has(id);
}

function prepare(ids: readonly number[]): PreparedBatch | null {
  const runs = ids.map((id) => kept.get(id));
  release(Math.max(...ids));
  if (runs.some((r) => r === undefined)) return null;
  try {
    return preparer.prepare((runs as (readonly UsageEvent[])[]).flat());
  } catch {
    // An event the store would refuse (STORE_BAD_EVENT): the main thread stores the rest and sets it aside.
    return null;
  }
}

port.on('message', async (m: ToWorker) => {
  if ('overrides' in m) {
    // Exports that arrive after this are priced with the new overrides; those before, with the old.
    ready = ready.then((s) => ({ ...s, pricer: createPricer(s.pricer.catalog, m.overrides) }));
    ready.catch(() => {});
    return;
  }
  if ('release' in m) return release(m.release);
  if ('settled' in m) {
    const u = unsettled.get(m.settled);
    unsettled.delete(m.settled);
    if (u === undefined) return;
    if (m.logged) {
      for (const k of u.keys) unlogged.delete(k);
      await copy(m.settled, u.lines);
    } else await undo(m.settled, u.moves, u.keys);
    return;
  }
  if ('prepare' in m) {
    const prepared = prepare(m.prepare);
    port.postMessage(
      { id: m.id, prepared } satisfies FromWorker,
      prepared === null ? [] : preparedTransfer(prepared),
    );
    return;
  }
  const { id, batch } = m;
  let moves: Move[] = [];
  let marked: string[] = [];
  let keys: string[] = [];
  let mark = 0;
  try {
    const { ingest, pricer, journal } = await ready;
    // Set after the wait: exports that came during it resume one after another, each mapped at once.
    moving = moves = [];
    marking = marked = [];
    mark = journal?.mark() ?? 0;
    const { priced, perRequest, ...ok } = mapBatch(ingest, pricer, batch);
    keys = carried(id, perRequest, marked);
    const moved = moves.length > 0 || keys.length > 0;
    let state: string[] | null = null;
    if (moved) {
      // Cumulative points and new per-request keys: their lines go into the log with the export's events, in the
      // same write, and reach the file only once the log took them (`settled`), so a kill between the two writes
      // leaves the file no point whose window the ledger lacks, nor a key whose records it lacks, nor the log a point
      // the file lacks after the replay (ingest-journal.ts).
      const lines = journal === null ? [] : journal.take(mark);
      if (lines.length > 0) {
        state = lines;
        ok.records = withOtlpState(ok.records, lines);
      }
      unsettled.set(id, { moves, keys, lines });
    } else if (journal !== null) {
      // Before the answer: nothing acknowledged may rest on what the journal does not hold (ingest-journal.ts).
      flush(ingest, journal);
    }
    // Patches go to the store after the events they name, from the records: such exports are decoded instead.
    const isKept = data.keep && ok.events > 0 && ok.patches === 0 && keep(id, priced);
    // Moved, not copied: encodeRecords allocated the buffer for this call alone.
    port.postMessage({ id, ok, kept: isKept, moved, state } satisfies FromWorker, owned(ok.records, true));
  } catch (e) {
    // Refused here, so never logged: what it moved is taken back now, as for a refusal by the log. None of its lines
    // was written (they wait for the log), so they and the undo's go unwritten: the file already stands where the
    // undo goes back to.
    unsettled.delete(id);
    if (moves.length > 0 || marked.length > 0) {
      const { ingest, journal } = await ready;
      takeBack(ingest, moves);
      for (const k of marked) if (!unlogged.has(k)) ingest.unmark(k);
      unmark(ingest, id, keys);
      journal?.discard(mark);
    }
    const error =
      e instanceof OtlpBodyError
        ? { badBody: true, message: e.message, code: e.code }
        : { badBody: false, message: (e as Error).message };
    port.postMessage({ id, error } satisfies FromWorker);
  }
});
