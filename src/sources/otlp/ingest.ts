import { mapLogs } from './agent-logs.js';
import { type AttributeMap, DEFAULT_ATTRIBUTES } from './attribution.js';
import { PerRequestRegistry } from './dedupe.js';
import { mapTraces } from './genai-spans.js';
import type { GpuPool } from './gpu-energy.js';
import type { Mapped } from './mapped.js';
import { mapMetrics } from './metrics.js';
import type { ExportLogsRequest, ExportMetricsRequest, ExportTraceRequest } from './otlp-types.js';
import { SpanHistory } from './span-history.js';
import { type SeriesPoint, TemporalityState } from './temporality.js';

/**
 * What the mappings remember that a restart of the receiver must not forget, each least recently seen first: the
 * keys that sent per-request usage (without them a counter window sent after a restart counts the calls of its key
 * a second time) and cumulative series' last points (without them a series' first point after a restart is only a
 * baseline, and the use since its last point before is lost). The span history is not among them (docs/otel/README.md).
 */
export interface Remembered {
  perRequest: Iterable<string>;
  series: Iterable<[string, SeriesPoint]>;
  /**
   * Epoch µs from which every cumulative series seen is among `series` (TemporalityState's since): a series that
   * began after it and is not among them is new to the ledger. Absent: unknown (the server's start is used).
   */
  since?: number;
}

/** Told what the mappings come to remember, as they do: a journal's side (src/server/otlp/ingest-journal.ts). */
export interface RememberSink {
  perRequest(key: string): void;
  /** `before`: the series' point this one replaced (undefined for its first), what OtlpIngest.undo goes back to. */
  series(key: string, point: SeriesPoint, before: SeriesPoint | undefined): void;
  /** The series is no longer remembered (an undo of its first point). */
  forget(key: string): void;
  /** Remembered.since moved (a series forgotten to stay within the bound). */
  since(since: number): void;
}

export interface OtlpIngestOptions {
  /** Epoch µs from which cumulative series are new to this ledger (the server's start), unless `remembered` says. */
  since: number;
  attributes?: AttributeMap;
  /** GPUs whose energy counters count (MapContext.gpus). */
  gpus?: readonly GpuPool[];
  /** The spans remembered across requests for agent / task attribution (default: the bounds in span-history.ts). */
  history?: SpanHistory;
  /** What an earlier run remembered (a journal's, read at start). */
  remembered?: Remembered;
  /** Told each thing remembered from now on. */
  sink?: RememberSink;
}

/**
 * The OTLP source: decoded export requests → unpriced events and per-record rejections. It holds the only state
 * the mappings need across requests: cumulative counters' last values, which keys sent per-request usage, and the
 * recent spans that attribute calls to agents (span-history.ts).
 *
 * @example
 *   const otlp = createOtlpIngest({ since: nowMicros() });
 *   const { events, rejected } = otlp.traces(decodedRequest, nowMicros());
 */
export interface OtlpIngest {
  traces(req: ExportTraceRequest, ingestedAt: number): Mapped;
  logs(req: ExportLogsRequest, ingestedAt: number): Mapped;
  metrics(req: ExportMetricsRequest, ingestedAt: number): Mapped & { superseded: number };
  /**
   * Marks keys as sending per-request usage (Mapped.perRequest), so their counters are dropped from now on: the keys
   * of the events that are kept, once the rest were rejected (unstorable, unpriceable: map-batch.ts). A key marked by
   * a rejected record would drop the counters that are then the only count of its calls.
   */
  mark(keys: Iterable<string>): void;
  /** All it remembers now, for a journal to start over from (a compaction). */
  remembered(): Remembered;
  /** A cumulative series' last point, or undefined when it is not remembered. */
  point(key: string): SeriesPoint | undefined;
  /**
   * Takes back a series' point that an export set over `before` (as told to the sink), when the write-ahead log
   * refused that export (TemporalityState.undo).
   */
  undo(key: string, point: SeriesPoint, before: SeriesPoint | undefined): void;
  /** `point`, or the point before it past refused ones (TemporalityState.logged). */
  logged(point: SeriesPoint | undefined): SeriesPoint | undefined;
  /**
   * Takes back a key's per-request mark when every export that brought it since it was new was refused by the
   * write-ahead log: no per-request record of it is in the ledger, so its counters must count again.
   */
  unmark(key: string): void;
}

export function createOtlpIngest(o: OtlpIngestOptions): OtlpIngest {
  const attributes = o.attributes ?? DEFAULT_ATTRIBUTES;
  const sink = o.sink;
  const state = new TemporalityState(
    o.remembered?.since ?? o.since,
    undefined,
    o.remembered?.series,
    sink && ((key, point, before) => (point === null ? sink.forget(key) : sink.series(key, point, before))),
    sink && ((since) => sink.since(since)),
  );
  const perRequest = new PerRequestRegistry(
    undefined,
    o.remembered?.perRequest,
    sink && ((key) => sink.perRequest(key)),
  );
  const history = o.history ?? new SpanHistory();
  return {
    traces: (req, ingestedAt) => mapTraces(req, { ingestedAt, attributes }, history),
    logs: (req, ingestedAt) => mapLogs(req, { ingestedAt, attributes }),
    mark: (keys) => perRequest.add(keys),
    metrics(req, ingestedAt) {
      return mapMetrics(req, { ingestedAt, attributes, gpus: o.gpus }, state, perRequest);
    },
    remembered: () => ({ perRequest: perRequest.keys(), series: state.points(), since: state.newFrom }),
    point: (key) => state.point(key),
    undo: (key, point, before) => state.undo(key, point, before),
    logged: (point) => state.logged(point),
    unmark: (key) => perRequest.forget(key),
  };
}
