import { mapLogs } from './agent-logs.js';
import { type AttributeMap, DEFAULT_ATTRIBUTES } from './attribution.js';
import { PerRequestRegistry } from './dedupe.js';
import { mapTraces } from './genai-spans.js';
import type { Mapped } from './mapped.js';
import { mapMetrics } from './metrics.js';
import type { ExportLogsRequest, ExportMetricsRequest, ExportTraceRequest } from './otlp-types.js';
import { SpanHistory } from './span-history.js';
import { TemporalityState } from './temporality.js';

export interface OtlpIngestOptions {
  /** Epoch µs from which cumulative series are new to this ledger (the server's start). */
  since: number;
  attributes?: AttributeMap;
  /** The spans remembered across requests for agent / task attribution (default: the bounds in span-history.ts). */
  history?: SpanHistory;
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
}

export function createOtlpIngest(o: OtlpIngestOptions): OtlpIngest {
  const attributes = o.attributes ?? DEFAULT_ATTRIBUTES;
  const state = new TemporalityState(o.since);
  const perRequest = new PerRequestRegistry();
  const history = o.history ?? new SpanHistory();
  return {
    traces(req, ingestedAt) {
      const m = mapTraces(req, { ingestedAt, attributes }, history);
      perRequest.add(m.perRequest);
      return m;
    },
    logs(req, ingestedAt) {
      const m = mapLogs(req, { ingestedAt, attributes });
      perRequest.add(m.perRequest);
      return m;
    },
    metrics(req, ingestedAt) {
      return mapMetrics(req, { ingestedAt, attributes }, state, perRequest);
    },
  };
}
