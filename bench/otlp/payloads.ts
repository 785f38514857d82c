import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
/** ExportTraceServiceRequest as @opentelemetry/otlp-transformer generates it: the benchmark's floor decodes with it. */
export const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const models = ['gpt-4o-mini', 'gpt-4.1', 'claude-sonnet-4-20250514', 'gemini-2.5-flash'];
const providers = ['openai', 'openai', 'anthropic', 'gcp.gemini'];

/**
 * The OTLP benchmarks' export requests: `batches` exports of `batch` GenAI chat spans each (four models of three
 * providers, cache reads on a third, 1,000 conversations), as protobuf and as OTLP/JSON, every span a root call.
 */
export function exportRequests(batches: number, batch: number): { proto: Buffer[]; json: Buffer[] } {
  const proto: Buffer[] = [];
  const json: Buffer[] = [];
  for (let b = 0; b < batches; b++) {
    proto.push(Buffer.from(TraceRequest.encode(TraceRequest.fromObject(spans(b, batch, false))).finish()));
    json.push(Buffer.from(JSON.stringify(spans(b, batch, true))));
  }
  return { proto, json };
}

function spans(b: number, batch: number, hex: boolean) {
  const out = [];
  for (let i = 0; i < batch; i++) {
    const n = b * batch + i;
    const traceId = Buffer.alloc(16);
    traceId.writeUInt32BE(n + 1, 12);
    const spanId = Buffer.alloc(8);
    spanId.writeUInt32BE(n + 1, 4);
    const start = 1_767_000_000_000_000_000n + BigInt(n) * 1_000_000n;
    const kv = (key: string, v: string | number) => ({
      key,
      value: typeof v === 'string' ? { stringValue: v } : { intValue: hex ? String(v) : v },
    });
    out.push({
      traceId: hex ? traceId.toString('hex') : traceId,
      spanId: hex ? spanId.toString('hex') : spanId,
      name: `chat ${models[n % 4]}`,
      kind: 3,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 800_000_000n),
      attributes: [
        kv('gen_ai.operation.name', 'chat'),
        kv('gen_ai.provider.name', providers[n % 4]!),
        kv('gen_ai.request.model', models[n % 4]!),
        kv('gen_ai.response.id', `resp_${n}`),
        kv('gen_ai.usage.input_tokens', 1000 + (n % 500)),
        kv('gen_ai.usage.cache_read.input_tokens', n % 3 === 0 ? 512 : 0),
        kv('gen_ai.usage.output_tokens', 100 + (n % 50)),
        kv('gen_ai.conversation.id', `conv-${n % 1000}`),
        kv('server.address', 'api.example.com'),
      ],
      status: {},
    });
  }
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'bench' } },
      { key: 'team.id', value: { stringValue: 'payments' } },
    ],
  };
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'bench' }, spans: out }] }] };
}
