import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, tokens } from './harness.js';

const MODEL = {
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.provider.name': 'openai',
  'gen_ai.operation.name': 'chat',
};

// Issue 5: GenAI and Claude Code metrics become aggregate events per window; cumulative series are differenced
// (the ledger holds what was used, not the running totals), delta series are summed.
describe.each([
  ['HTTP json', 'cumulative'],
  ['HTTP protobuf', 'cumulative'],
  ['gRPC', 'cumulative'],
  ['HTTP json', 'delta'],
  ['HTTP protobuf', 'delta'],
  ['gRPC', 'delta'],
] as const)('GenAI metrics over OTLP/%s, %s temporality', (encoding, temporality) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  function meter(service: string) {
    const opts = {
      url: encoding === 'gRPC' ? h.grpcUrl : `${h.url}/v1/metrics`,
      temporalityPreference:
        temporality === 'delta'
          ? AggregationTemporalityPreference.DELTA
          : AggregationTemporalityPreference.CUMULATIVE,
    };
    const exporter =
      encoding === 'HTTP json'
        ? new JsonMetricExporter(opts)
        : encoding === 'HTTP protobuf'
          ? new ProtoMetricExporter(opts)
          : new GrpcMetricExporter(opts);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'team.id': 'search' }),
      readers: [reader],
    });
    return { provider, meter: provider.getMeter('genai') };
  }

  it('holds exactly the tokens recorded across several exports', async () => {
    const { provider, meter: m } = meter('metrics-app');
    const hist = m.createHistogram('gen_ai.client.token.usage');
    const cached = m.createCounter('gen_ai.client.inference.usage.cache_read.input_tokens');
    const claude = m.createCounter('claude_code.token.usage');
    const cost = m.createCounter('claude_code.cost.usage');
    let input = 0;
    let output = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) {
        hist.record(300 + i, { ...MODEL, 'gen_ai.token.type': 'input' });
        hist.record(40 + i, { ...MODEL, 'gen_ai.token.type': 'output' });
        input += 300 + i;
        output += 40 + i;
        cached.add(100, MODEL);
      }
      claude.add(7, { type: 'input', model: 'claude-sonnet-4-20250514', 'session.id': 's-metrics' });
      claude.add(3, { type: 'output', model: 'claude-sonnet-4-20250514', 'session.id': 's-metrics' });
      cost.add(0.25, { model: 'claude-sonnet-4-20250514', 'session.id': 's-metrics' });
      await provider.forceFlush();
    }
    await provider.forceFlush(); // nothing new: adds nothing
    await provider.shutdown();
    const events = await h.ledger();
    const genai = events.filter(
      (e) => e.model !== 'claude-sonnet-4-20250514' && e.model_requested === 'gpt-4o-mini',
    );
    expect(tokens(genai)).toEqual({
      requests: 12,
      input: input - 1200,
      cache_read: 1200,
      cache_write: 0,
      output,
      reasoning: 0,
    });
    expect(genai.every((e) => e.team === 'search' && e.provider === 'openai')).toBe(true);
    const cc = events.filter((e) => e.agent === 'claude-code');
    expect(tokens(cc)).toEqual({
      requests: 0,
      input: 21,
      cache_read: 0,
      cache_write: 0,
      output: 9,
      reasoning: 0,
    });
    expect(cc.reduce((s, e) => s + (e.provider_cost_usd ?? 0n), 0n)).toBe(750_000_000_000n);
  });

  // Money is exact: Claude Code's cost counter is read as the decimals its points spell (as a reported cost is), and
  // a cumulative series' windows are those decimals' differences. Binary floats were off by a pico-dollar here
  // (9264.23257797 - 9264.2287 = 0.0038779700007580686).
  it("keeps Claude Code's reported cost exact to the pico-dollar in every window", async () => {
    const { provider, meter: m } = meter('cost-app');
    const cost = m.createCounter('claude_code.cost.usage');
    const attributes = {
      model: 'claude-sonnet-4-20250514',
      'session.id': `s-cost-${encoding}-${temporality}`,
    };
    for (const usd of [9264.2287, 0.00387797, 0.0123]) {
      cost.add(usd, attributes);
      await provider.forceFlush();
    }
    await provider.shutdown();
    const costs = (await h.ledger())
      .filter((e) => e.session_id === attributes['session.id'])
      .map((e) => e.provider_cost_usd ?? 0n)
      .sort((a, b) => (a < b ? -1 : 1));
    expect(costs).toEqual([3_877_970_000n, 12_300_000_000n, 9_264_228_700_000_000n]);
  });

  it('does not count metrics of an app that also sends spans for the same calls', async () => {
    const traces = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'both' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${h.url}/v1/traces` }))],
    });
    const { provider, meter: m } = meter('both');
    const hist = m.createHistogram('gen_ai.client.token.usage');
    for (let i = 0; i < 3; i++) {
      traces
        .getTracer('t')
        .startSpan('chat gpt-4o-mini', {
          attributes: { ...MODEL, 'gen_ai.usage.input_tokens': 500, 'gen_ai.usage.output_tokens': 60 },
        })
        .end();
      hist.record(500, { ...MODEL, 'gen_ai.token.type': 'input' });
      hist.record(60, { ...MODEL, 'gen_ai.token.type': 'output' });
    }
    await traces.shutdown();
    await provider.shutdown();
    const events = (await h.ledger()).filter((e) => e.tags.service === 'both');
    expect(tokens(events)).toEqual({
      requests: 3,
      input: 1500,
      cache_read: 0,
      cache_write: 0,
      output: 180,
      reasoning: 0,
    });
  });
});

// An OpenTelemetry Collector in front batches and splits exports by data point (the batch processor's
// send_batch_max_size): the points of one window of one model can reach the ledger in separate requests.
describe('GenAI and Claude Code metric points of one window split across exports', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const T0 = BigInt(Date.now()) * 1_000_000n;
  const window = { startTimeUnixNano: String(T0), timeUnixNano: String(T0 + 60_000_000_000n) };
  const send = (service: string, metric: object) =>
    fetch(`${h.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [kv('service.name', service)] },
            scopeMetrics: [{ metrics: [metric] }],
          },
        ],
      }),
    });

  it('are each recorded once, none taken for a retry of another', async () => {
    const histogram = (type: string, sum: number) => ({
      name: 'gen_ai.client.token.usage',
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [
          {
            ...window,
            attributes: [...Object.entries(MODEL).map(([k, v]) => kv(k, v)), kv('gen_ai.token.type', type)],
            count: '3',
            sum,
          },
        ],
      },
    });
    const claude = (name: string, attributes: ReturnType<typeof kv>[], value: object) => ({
      name,
      sum: {
        aggregationTemporality: 1,
        isMonotonic: true,
        dataPoints: [
          {
            ...window,
            attributes: [kv('session.id', 's-split'), kv('model', 'claude-sonnet-4-20250514'), ...attributes],
            ...value,
          },
        ],
      },
    });
    for (const [service, metric] of [
      ['split-app', histogram('input', 1000)],
      ['split-app', histogram('output', 200)],
      ['split-app', histogram('output', 200)], // a retry: the same export again
      ['claude-code', claude('claude_code.cost.usage', [], { asDouble: 0.5 })],
      ['claude-code', claude('claude_code.token.usage', [kv('type', 'input')], { asInt: '70' })],
    ] as const)
      expect((await send(service, metric)).status).toBe(200);
    const events = await h.ledger();
    expect(tokens(events.filter((e) => e.tags.service === 'split-app'))).toEqual({
      requests: 3,
      input: 1000,
      cache_read: 0,
      cache_write: 0,
      output: 200,
      reasoning: 0,
    });
    const cc = events.filter((e) => e.agent === 'claude-code');
    expect(tokens(cc).input).toBe(70);
    expect(cc.reduce((s, e) => s + (e.provider_cost_usd ?? 0n), 0n)).toBe(500_000_000_000n);
  });

  it("sums Claude Code's cost points of one window as exact decimals", async () => {
    // 10000.1 + 0.2 is 10000.300000000001 in binary floats: a pico-dollar too much.
    const points = [10000.1, 0.2].map((asDouble, i) => ({
      startTimeUnixNano: String(T0 + BigInt(i) * 30_000_000_000n),
      timeUnixNano: String(T0 + BigInt(i + 1) * 30_000_000_000n),
      attributes: [kv('session.id', 's-sum'), kv('model', 'claude-sonnet-4-20250514')],
      asDouble,
    }));
    const metric = {
      name: 'claude_code.cost.usage',
      sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points },
    };
    expect((await send('claude-code', metric)).status).toBe(200);
    const events = (await h.ledger()).filter((e) => e.session_id === 's-sum');
    expect(events.map((e) => e.provider_cost_usd)).toEqual([10_000_300_000_000_000n]);
  });
});
