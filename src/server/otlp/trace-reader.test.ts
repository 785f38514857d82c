import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ATTRIBUTES } from '../../sources/otlp/attribution.js';
import { mapTraces } from '../../sources/otlp/genai-spans.js';
import type { ExportTraceRequest } from '../../sources/otlp/otlp-types.js';
import { attrs } from '../../sources/otlp/values.js';
import { SIGNALS } from './otlp-proto.js';
import { readTraceRequest } from './trace-reader.js';

// The official generated encoder (what the OpenTelemetry JS exporters send), not ours.
const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const id = (n: number, bytes: number) => {
  const b = Buffer.alloc(bytes);
  b.writeUInt32BE(n, bytes - 4);
  return b;
};
const kv = (key: string, value: object) => ({ key, value });

function request() {
  const spans = [
    {
      traceId: id(1, 16),
      spanId: id(10, 8),
      name: 'invoke_agent planner',
      startTimeUnixNano: '1767000000000000000',
      attributes: [
        kv('gen_ai.operation.name', { stringValue: 'invoke_agent' }),
        kv('gen_ai.agent.name', { stringValue: 'planner' }),
      ],
      events: [{ name: 'skipped', timeUnixNano: '1' }],
    },
    {
      traceId: id(1, 16),
      spanId: id(11, 8),
      parentSpanId: id(10, 8),
      name: 'chat gpt-4o',
      kind: 3,
      startTimeUnixNano: '1767000000123456789',
      endTimeUnixNano: '1767000001123456789',
      attributes: [
        kv('gen_ai.operation.name', { stringValue: 'chat' }),
        kv('gen_ai.request.model', { stringValue: 'gpt-4o' }),
        kv('gen_ai.usage.input_tokens', { intValue: 1200 }),
        kv('gen_ai.usage.output_tokens', { intValue: 150 }),
        kv('big', { intValue: '9007199254740993' }),
        kv('gen_ai.usage.cache_read.input_tokens', { doubleValue: 100 }),
        kv('gen_ai.usage.cost', { doubleValue: 0.0125 }),
        kv('neg', { intValue: -5 }),
        kv('flag', { boolValue: true }),
        kv('list', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } }),
        kv('map', { kvlistValue: { values: [kv('k', { stringValue: 'v' })] } }),
        kv('nested', {
          arrayValue: {
            values: [
              { arrayValue: { values: [{ stringValue: 'say "hi"' }] } },
              { kvlistValue: { values: [kv('k', { arrayValue: { values: [{ intValue: 1 }] } })] } },
            ],
          },
        }),
        kv('raw', { bytesValue: Buffer.from([1, 2]) }),
        kv('empty', {}),
        kv('dup', { stringValue: 'first' }),
        kv('dup', { stringValue: 'second' }),
        kv('', { stringValue: 'no key' }),
        { key: 'no value' },
      ],
      status: { code: 2, message: 'rate limited' },
    },
    {
      traceId: id(2, 16),
      spanId: id(12, 8),
      startTimeUnixNano: '1767000000000000000',
      attributes: [kv('gen_ai.usage.input_tokens', { intValue: 5 })],
    },
    {
      spanId: id(13, 8),
      name: 'no trace',
      attributes: [kv('gen_ai.operation.name', { stringValue: 'chat' })],
    },
  ];
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            kv('service.name', { stringValue: 'svc' }),
            kv('team.id', { stringValue: 'payments' }),
          ],
        },
        scopeSpans: [{ scope: { name: 'x', version: '1' }, spans }],
      },
      { scopeSpans: [{ spans: [] }] },
    ],
  };
}

describe('readTraceRequest', () => {
  const bytes = Buffer.from(TraceRequest.encode(TraceRequest.fromObject(request())).finish());
  const ours = readTraceRequest(bytes);
  const theirs = SIGNALS.traces.request.decode(bytes) as unknown as ExportTraceRequest;

  it('maps to exactly the events and rejections protobufjs decoding maps to', () => {
    const ctx = { ingestedAt: 7, attributes: DEFAULT_ATTRIBUTES };
    const a = mapTraces(ours, ctx);
    const b = mapTraces(theirs, ctx);
    // The span with usage but neither operation nor model is a roll-up, ignored (docs/otel/README.md).
    expect([b.events.length, b.rejected.length, b.ignored]).toEqual([1, 1, 2]);
    expect(a).toEqual(b);
    expect(a.events[0]).toMatchObject({ agent: 'planner', ts: 1767000000123456, status: 'error' });
  });

  it('reads every attribute value kind as protobufjs does, negative and > 2^53 integers included', () => {
    const span = (r: ExportTraceRequest) => r.resourceSpans![0]!.scopeSpans![0]!.spans![1]!;
    const got = attrs(span(ours).attributes);
    expect(got).toEqual(attrs(span(theirs).attributes));
    expect(got.get('neg')).toBe(-5);
    expect(got.get('big')).toBe(9007199254740992);
    expect(got.get('list')).toBe('["a",2]');
    expect(got.get('map')).toBe('{"k":"v"}');
    // Nested arrays and maps are JSON inside the JSON, not JSON text escaped again at each level.
    expect(got.get('nested')).toBe('[["say \\"hi\\""],{"k":[1]}]');
    expect(got.get('dup')).toBe('second');
    expect([...got.keys()].filter((k) => ['raw', 'empty', '', 'no value'].includes(k))).toEqual([]);
  });

  it('reads thousands of distinct and repeated short strings, and non-ASCII ones, exactly (interning never confuses two)', () => {
    // Same-length values that differ in one character, keys repeated span after span, multi-byte UTF-8.
    const values = Array.from({ length: 5000 }, (_, i) => `resp_${String(i).padStart(5, '0')}`);
    values.push('modèle-é', '模型', 'emoji 🚀', '', 'x'.repeat(65), `${'y'.repeat(64)}é`);
    const spans = values.map((v, i) => ({
      traceId: id(i + 1, 16),
      spanId: id(i + 1, 8),
      name: i % 2 ? 'chat a' : 'chat b',
      attributes: [kv('gen_ai.response.id', { stringValue: v }), kv(`k${i % 7}`, { stringValue: v })],
    }));
    const body = Buffer.from(
      TraceRequest.encode(TraceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish(),
    );
    const got = readTraceRequest(body).resourceSpans![0]!.scopeSpans![0]!.spans!;
    expect(got.map((s) => attrs(s.attributes).get('gen_ai.response.id') ?? '')).toEqual(values);
    expect(got.map((s, i) => attrs(s.attributes).get(`k${i % 7}`) ?? '')).toEqual(values);
    expect(got.map((s) => s.name)).toEqual(spans.map((s) => s.name));
  });

  it('throws on a truncated body instead of reading past it', () => {
    expect(() => readTraceRequest(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});
