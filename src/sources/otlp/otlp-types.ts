/**
 * The decoded OTLP export requests as this folder reads them. One shape covers both encodings: protobufjs decodes
 * to camelCase objects with Long (`{low, high}`) 64-bit integers and Uint8Array ids, while OTLP/JSON (spec:
 * opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding") has the same camelCase names with 64-bit
 * integers as decimal strings and ids as hex strings. Every field is optional: a sender may omit any default.
 */

/** A protobuf 64-bit integer as protobufjs gives it. */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

export type Int64 = LongLike | string | number | null | undefined;

export interface AnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64;
  doubleValue?: number | string | null;
  arrayValue?: { values?: AnyValue[] | null } | null;
  kvlistValue?: { values?: KeyValue[] | null } | null;
  bytesValue?: Uint8Array | string | null;
}

interface KeyValue {
  key?: string | null;
  value?: AnyValue | null;
}

/**
 * A resource's or span's attributes: the KeyValue list OTLP/JSON and protobufjs give, or the map values.ts's attrs()
 * would make of it, which the hand-written protobuf trace reader builds directly (server/otlp/trace-reader.ts).
 */
export type Attributes = KeyValue[] | Map<string, string | number | boolean>;

interface Resource {
  attributes?: Attributes | null;
}

interface Scope {
  name?: string | null;
  version?: string | null;
}

export type Id = Uint8Array | string | null | undefined;

export interface Span {
  traceId?: Id;
  spanId?: Id;
  parentSpanId?: Id;
  name?: string | null;
  kind?: number | string | null;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  attributes?: Attributes | null;
  status?: { code?: number | string | null; message?: string | null } | null;
}

export interface ExportTraceRequest {
  resourceSpans?:
    | { resource?: Resource | null; scopeSpans?: { scope?: Scope | null; spans?: Span[] | null }[] | null }[]
    | null;
}

export interface LogRecord {
  timeUnixNano?: Int64;
  observedTimeUnixNano?: Int64;
  body?: AnyValue | null;
  attributes?: KeyValue[] | null;
  traceId?: Id;
  spanId?: Id;
  eventName?: string | null;
}

export interface ExportLogsRequest {
  resourceLogs?:
    | {
        resource?: Resource | null;
        scopeLogs?: { scope?: Scope | null; logRecords?: LogRecord[] | null }[] | null;
      }[]
    | null;
}

export interface NumberDataPoint {
  attributes?: KeyValue[] | null;
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  asDouble?: number | string | null;
  asInt?: Int64;
  /** DataPointFlags: bit 0 is FLAG_NO_RECORDED_VALUE. */
  flags?: number | null;
}

export interface HistogramDataPoint {
  attributes?: KeyValue[] | null;
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number | string | null;
  /** DataPointFlags: bit 0 is FLAG_NO_RECORDED_VALUE. */
  flags?: number | null;
}

/** AGGREGATION_TEMPORALITY_DELTA = 1, _CUMULATIVE = 2 (JSON may also spell the enum name). */
type Temporality = number | string | null | undefined;

export interface Metric {
  name?: string | null;
  unit?: string | null;
  sum?: {
    dataPoints?: NumberDataPoint[] | null;
    aggregationTemporality?: Temporality;
    isMonotonic?: boolean | null;
  } | null;
  histogram?: { dataPoints?: HistogramDataPoint[] | null; aggregationTemporality?: Temporality } | null;
  exponentialHistogram?: {
    dataPoints?: HistogramDataPoint[] | null;
    aggregationTemporality?: Temporality;
  } | null;
  gauge?: { dataPoints?: NumberDataPoint[] | null } | null;
}

export interface ExportMetricsRequest {
  resourceMetrics?:
    | {
        resource?: Resource | null;
        scopeMetrics?: { scope?: Scope | null; metrics?: Metric[] | null }[] | null;
      }[]
    | null;
}
