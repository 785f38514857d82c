import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNALS } from '../../src/server/otlp/otlp-proto.js';
import { type Harness, startHarness, tokens } from './harness.js';

/**
 * Gemini CLI from google-gemini/gemini-cli#6357 (Aug 2025, `otlpProtocol: "http"`) until #16836 (Jan 2026) built its
 * OTLP/HTTP exporters with `@opentelemetry/exporter-*-otlp-http` (JSON) and `url: new URL(otlpEndpoint).href`: with the
 * documented endpoint `http://127.0.0.1:4318` every signal is POSTed to `/`.
 */
const asOldGeminiCli = (h: Harness) => new URL(h.url).href;

describe('OTLP/HTTP exports POSTed to / (Gemini CLI before it appended /v1/traces etc.)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('records logs, traces and metrics from the real JSON exporters, each told by its top-level key', async () => {
    const url = asOldGeminiCli(h);
    expect(url).toBe(`${h.url}/`);

    const logs = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'gemini-cli', 'session.id': 'g-root' }),
      processors: [new SimpleLogRecordProcessor(new JsonLogExporter({ url }))],
    });
    logs.getLogger('gemini-cli').emit({
      severityNumber: SeverityNumber.INFO,
      attributes: {
        'event.name': 'gemini_cli.api_response',
        'event.timestamp': new Date().toISOString(),
        'session.id': 'g-root',
        model: 'gemini-2.5-pro',
        input_token_count: 2000,
        cached_content_token_count: 500,
        output_token_count: 100,
        thoughts_token_count: 40,
        tool_token_count: 10,
        duration_ms: 900,
      },
    });
    await logs.shutdown();

    const traces = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'traced-app' }),
      spanProcessors: [new SimpleSpanProcessor(new JsonTraceExporter({ url }))],
    });
    traces
      .getTracer('t')
      .startSpan('chat gpt-4o-mini', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 300,
          'gen_ai.usage.output_tokens': 30,
        },
      })
      .end();
    await traces.shutdown();

    const meters = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'metered-app' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new JsonMetricExporter({ url }),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    meters.getMeter('m').createHistogram('gen_ai.client.token.usage').record(70, {
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.token.type': 'input',
    });
    await meters.shutdown();

    const events = await h.ledger();
    expect(tokens(events.filter((e) => e.agent === 'gemini-cli'))).toEqual({
      requests: 1,
      input: 1510,
      cache_read: 500,
      cache_write: 0,
      output: 140,
      reasoning: 40,
    });
    expect(events.find((e) => e.agent === 'gemini-cli')?.session_id).toBe('g-root');
    const traced = events.filter((e) => e.tags.service === 'traced-app');
    expect(tokens(traced)).toMatchObject({ requests: 1, input: 300, output: 30 });
    const metered = events.filter((e) => e.tags.service === 'metered-app');
    expect(tokens(metered)).toMatchObject({ input: 70 });
    expect(events).toHaveLength(3);
  });

  const post = (payload: Buffer | string, headers: Record<string, string>, path = '/') =>
    fetch(`${h.url}${path}`, { method: 'POST', body: payload, headers });

  it("answers in the body's signal: a logs export with a bad record gets rejectedLogRecords, also gzipped", async () => {
    const bad = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gemini-cli' } }] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  attributes: [
                    { key: 'event.name', value: { stringValue: 'gemini_cli.api_response' } },
                    { key: 'model', value: { stringValue: 'gemini-2.5-pro' } },
                    { key: 'input_token_count', value: { stringValue: 'lots' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(gzipSync(JSON.stringify(bad)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as { partialSuccess: { rejectedLogRecords: number; errorMessage: string } };
    expect(r.partialSuccess.rejectedLogRecords).toBe(1);
    expect(r.partialSuccess.errorMessage).toContain('input_token_count');
  });

  it('answers a JSON body whose signal cannot be told with 400 naming the keys and the paths', async () => {
    for (const payload of [{}, { resourceSpans: [], resourceLogs: [] }, { spans: [] }]) {
      const res = await post(JSON.stringify(payload), { 'content-type': 'application/json' });
      expect(res.status, JSON.stringify(payload)).toBe(400);
      const { message } = (await res.json()) as { message: string };
      expect(message).toMatch(/^OTLP_BAD_BODY: /);
      expect(message).toContain('exactly one of resourceSpans, resourceMetrics, resourceLogs');
      expect(message).toContain('/v1/traces');
    }
  });

  it('answers protobuf at / with a JSON 404 that says which paths to use and how to set Gemini CLI', async () => {
    const res = await post(Buffer.from(SIGNALS.logs.request.encode({}).finish()), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    const { message } = (await res.json()) as { message: string };
    expect(message).toMatch(/^OTLP_NOT_FOUND: /);
    for (const path of ['/v1/traces', '/v1/metrics', '/v1/logs'])
      expect(message).toContain(`${h.url}${path}`);
    expect(message).toContain(`"otlpEndpoint": "${h.url}"`);
    expect((await fetch(`${h.url}/`)).status).toBe(405);
  });
});
