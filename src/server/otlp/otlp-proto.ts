import protobuf from 'protobufjs';

/**
 * The parts of the official OTLP definitions (github.com/open-telemetry/opentelemetry-proto, v1.5: common, resource,
 * trace, metrics, logs and the collector services' request/response messages) that the receiver reads. Field
 * numbers and types are the official ones; fields we never read (span events and links, exemplars, bucket counts,
 * gauges, summaries) are left out, so the decoder skips them without building objects. google.rpc.Status is the
 * body of a 400 in OTLP/HTTP protobuf.
 */
const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Resource { repeated KeyValue attributes = 1; }

message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }

message LogRecord {
  fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11; AnyValue body = 5;
  repeated KeyValue attributes = 6; bytes trace_id = 9; bytes span_id = 10; string event_name = 12;
}
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }

message NumberDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; } uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5; uint32 flags = 10;
}
message ExponentialHistogramDataPoint {
  repeated KeyValue attributes = 1; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5; uint32 flags = 10;
}
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message ExponentialHistogram { repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Metric {
  string name = 1; string unit = 3;
  oneof data { Sum sum = 7; Histogram histogram = 9; ExponentialHistogram exponential_histogram = 10; }
}
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ExportMetricsPartialSuccess { int64 rejected_data_points = 1; string error_message = 2; }
message ExportMetricsServiceResponse { ExportMetricsPartialSuccess partial_success = 1; }

message RpcStatus { int32 code = 1; string message = 2; }
`;

const root = protobuf.parse(PROTO).root;
const type = (name: string) => root.lookupType(`otlp.${name}`);

export type Signal = 'traces' | 'metrics' | 'logs';

interface SignalProto {
  request: protobuf.Type;
  response: protobuf.Type;
  /** The partial-success field counting rejected records. */
  rejectedField: string;
  /** OTLP/gRPC's method for the signal (opentelemetry/proto/collector/…/v1/*_service.proto). */
  grpcPath: string;
}

export const SIGNALS: Record<Signal, SignalProto> = {
  traces: {
    request: type('ExportTraceServiceRequest'),
    response: type('ExportTraceServiceResponse'),
    rejectedField: 'rejectedSpans',
    grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  },
  metrics: {
    request: type('ExportMetricsServiceRequest'),
    response: type('ExportMetricsServiceResponse'),
    rejectedField: 'rejectedDataPoints',
    grpcPath: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  },
  logs: {
    request: type('ExportLogsServiceRequest'),
    response: type('ExportLogsServiceResponse'),
    rejectedField: 'rejectedLogRecords',
    grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  },
};

export const RPC_STATUS = type('RpcStatus');

/**
 * The Export…ServiceResponse for an accepted export, as an object for `response.fromObject` or JSON: empty when
 * every record was used, else `partial_success` with the rejected count and the first reasons.
 */
export function exportResponse(signal: Signal, rejected: number, message: string): Record<string, unknown> {
  return rejected > 0
    ? { partialSuccess: { [SIGNALS[signal].rejectedField]: rejected, errorMessage: message } }
    : {};
}
