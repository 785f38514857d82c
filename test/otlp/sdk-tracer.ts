import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * A real tracer (the OpenTelemetry SDK) of `service` in team `payments`, whose spans are exported only on forceFlush,
 * by one exporter per URL given (two: every export twice), in exports of at most `exportBatch` spans.
 */
export function tracerFor(service: string, urls: string[], proto = false, exportBatch = 512) {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'team.id': 'payments' }),
    spanProcessors: urls.map(
      (url) =>
        new BatchSpanProcessor(
          proto
            ? new ProtoTraceExporter({ url: `${url}/v1/traces` })
            : new JsonTraceExporter({ url: `${url}/v1/traces` }),
          { scheduledDelayMillis: 3_600_000, maxExportBatchSize: exportBatch, maxQueueSize: 4096 },
        ),
    ),
  });
  return { provider, tracer: provider.getTracer('agent-app') };
}
