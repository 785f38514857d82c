import { context, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, tokens } from './harness.js';

// Issue 5: GenAI spans from the real OpenTelemetry JS SDK, over OTLP/HTTP JSON and protobuf and over OTLP/gRPC
// (plain and gzip-compressed), land in the ledger with exactly the tokens the spans carried, attributed from the
// resource and the invoke_agent span above them.
describe.each([
  ['HTTP json', (h: Harness) => new JsonTraceExporter({ url: `${h.url}/v1/traces` })],
  ['HTTP protobuf', (h: Harness) => new ProtoTraceExporter({ url: `${h.url}/v1/traces` })],
  ['gRPC', (h: Harness) => new GrpcTraceExporter({ url: h.grpcUrl })],
  [
    'gRPC gzip',
    (h: Harness) => new GrpcTraceExporter({ url: h.grpcUrl, compression: CompressionAlgorithm.GZIP }),
  ],
])('GenAI spans over OTLP/%s', (name, exporter) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('records one event per inference span with the tokens sent', async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': `app-${name}`,
        'team.id': 'payments',
        'user.email': 'ana@example.com',
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter(h))],
    });
    const tracer = provider.getTracer('test');
    const agent = tracer.startSpan('invoke_agent planner', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' },
    });
    const ctx = trace.setSpan(context.active(), agent);
    const sent = { input: 0, cacheRead: 0, output: 0, reasoning: 0 };
    for (let i = 0; i < 20; i++) {
      const input = 1000 + i * 7;
      const cacheRead = i % 2 === 0 ? 400 : 0;
      const output = 50 + i;
      const reasoning = i % 3 === 0 ? 10 : 0;
      sent.input += input;
      sent.cacheRead += cacheRead;
      sent.output += output;
      sent.reasoning += reasoning;
      const s = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
            'gen_ai.usage.input_tokens': input,
            'gen_ai.usage.cache_read.input_tokens': cacheRead,
            'gen_ai.usage.output_tokens': output,
            'gen_ai.usage.reasoning.output_tokens': reasoning,
            'gen_ai.conversation.id': 'conv-1',
          },
        },
        ctx,
      );
      s.end();
    }
    tracer
      .startSpan('execute_tool search', { attributes: { 'gen_ai.operation.name': 'execute_tool' } }, ctx)
      .end();
    agent.end();
    await provider.forceFlush();
    await provider.shutdown();

    const events = (await h.ledger()).filter((e) => e.tags.service === `app-${name}`);
    expect(events).toHaveLength(20);
    // input_tokens in the ledger excludes cache reads: the span's total minus its cache_read part.
    expect(tokens(events)).toEqual({
      requests: 20,
      input: sent.input - sent.cacheRead,
      cache_read: sent.cacheRead,
      cache_write: 0,
      output: sent.output,
      reasoning: sent.reasoning,
    });
    const e = events[0]!;
    expect(e).toMatchObject({
      source: 'otlp',
      team: 'payments',
      user: 'ana@example.com',
      session_id: 'conv-1',
      provider: 'openai',
      operation: 'chat',
      status: 'ok',
      cost_source: 'computed',
    });
    // Spans ended before their invoke_agent parent, so the attribution comes from the parent in the same batch
    // only when the processor batches; with SimpleSpanProcessor each span is its own request.
    expect(e.cost_usd).toBeGreaterThan(0n);
  });

  it('stores a retried export once (event ids from trace and span ids)', async () => {
    const before = (await h.ledger()).length;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `retry-${name}` }),
      spanProcessors: [new SimpleSpanProcessor(exporter(h)), new SimpleSpanProcessor(exporter(h))],
    });
    provider
      .getTracer('t')
      .startSpan('chat claude-sonnet-4', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4-20250514',
          'gen_ai.usage.input_tokens': 10,
          'gen_ai.usage.output_tokens': 5,
        },
      })
      .end();
    await provider.shutdown();
    expect((await h.ledger()).length).toBe(before + 1);
  });

  // The Vercel AI SDK writes NaN token counts when the provider reported no usage (vercel/ai#6546); the JSON
  // exporter writes NaN as null. Either way it is a count that was not reported: the span is read as if the attribute
  // were not there, over every transport, and nothing is rejected.
  it('reads a NaN token count as not reported, as if the attribute were absent', async () => {
    const warnings: string[] = [];
    const log = (...args: unknown[]) => warnings.push(args.join(' '));
    diag.setLogger({ error: log, warn: log, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
    try {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': `nan-${name}` }),
        spanProcessors: [new SimpleSpanProcessor(exporter(h))],
      });
      const tracer = provider.getTracer('t');
      // A call whose provider reported output only: recorded, its input not reported (0).
      tracer
        .startSpan('chat gpt-4o-mini', {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': Number.NaN,
            'gen_ai.usage.output_tokens': 42,
          },
        })
        .end();
      // An AI SDK stream whose provider sent no usage: like the same span with no usage attributes, which names no
      // operation, it is not taken for a call (docs/otel/README.md, Rules behind these).
      tracer
        .startSpan('ai.streamText.doStream', {
          attributes: {
            'operation.name': 'ai.streamText.doStream',
            'gen_ai.system': 'openai.chat',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': Number.NaN,
            'gen_ai.usage.output_tokens': Number.NaN,
          },
        })
        .end();
      await provider.shutdown();
    } finally {
      diag.disable();
    }
    const events = (await h.ledger()).filter((e) => e.tags.service === `nan-${name}`);
    expect(events.map((e) => [e.operation, e.requests, e.input_tokens, e.output_tokens])).toEqual([
      ['chat', 1, 0, 42],
    ]);
    expect(warnings).toEqual([]);
  });
});
