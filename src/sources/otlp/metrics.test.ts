import { describe, expect, it } from 'vitest';
import { createOtlpIngest } from './ingest.js';
import type { ExportMetricsRequest } from './otlp-types.js';

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
const MODEL = [kv('gen_ai.request.model', 'gpt-4o-mini'), kv('gen_ai.provider.name', 'openai')];
const DELTA = 1; // AGGREGATION_TEMPORALITY_DELTA

/** One export: an input histogram and a cache-read counter of the same calls, stamped `skewNs` apart. */
function exportWith(skewNs: number): ExportMetricsRequest {
  const start = 1_764_000_000_000_000_000n;
  const end = start + 60_000_000_000n;
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'app')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'gen_ai.client.token.usage',
                histogram: {
                  aggregationTemporality: DELTA,
                  dataPoints: [
                    {
                      attributes: [...MODEL, kv('gen_ai.token.type', 'input')],
                      startTimeUnixNano: String(start),
                      timeUnixNano: String(end),
                      count: '4',
                      sum: 1206,
                    },
                  ],
                },
              },
              {
                name: 'gen_ai.client.inference.usage.cache_read.input_tokens',
                sum: {
                  aggregationTemporality: DELTA,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: MODEL,
                      startTimeUnixNano: String(start + BigInt(skewNs)),
                      timeUnixNano: String(end + BigInt(skewNs)),
                      asInt: '400',
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  } as unknown as ExportMetricsRequest;
}

describe('GenAI metrics of one export', () => {
  it.each([0, 1_000, 2_000_000])(
    'take cached tokens out of input even when instruments are stamped %i ns apart',
    (skew) => {
      const ingest = createOtlpIngest({ since: 0 });
      const m = ingest.metrics(exportWith(skew), 0);
      expect(m.events).toHaveLength(1);
      expect(m.events.map((e) => [e.input_tokens, e.cache_read_tokens, e.requests])).toEqual([[806, 400, 4]]);
    },
  );
});

describe('a GenAI metrics export with a point whose time is not a 64-bit count of nanoseconds', () => {
  // OTLP/JSON writes fixed64 times as decimal strings; a sender that writes a longer one has sent a broken point,
  // which is that point's rejection, not a failure of the whole export (a 503 the exporter retries forever).
  it('rejects that point with the reason and records the rest of the export', () => {
    const request = exportWith(0);
    const points = request.resourceMetrics![0]!.scopeMetrics![0]!.metrics![0]!.histogram!.dataPoints!;
    points.push({ ...points[0]!, timeUnixNano: '1000000000000000000000001' });
    points[1]!.attributes = [...MODEL, kv('gen_ai.token.type', 'output')];
    const m = createOtlpIngest({ since: 0 }).metrics(request, 0);
    expect(m.events.map((e) => [e.input_tokens, e.cache_read_tokens, e.output_tokens])).toEqual([
      [806, 400, 0],
    ]);
    expect(m.rejected.map((r) => r.reason)).toEqual(['data point without a valid timeUnixNano']);
  });
});

describe('GenAI metric points without a model', () => {
  // OTLP's partial success counts rejected data points: each point of the window, each named by its place.
  it('are each a rejected data point, with where it is and why', () => {
    const request = exportWith(0);
    for (const m of request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!)
      for (const p of m.histogram?.dataPoints ?? m.sum!.dataPoints!)
        p.attributes = p.attributes!.filter((kv) => kv.key !== 'gen_ai.request.model');
    const m = createOtlpIngest({ since: 0 }).metrics(request, 0);
    expect(m.events).toEqual([]);
    expect(m.rejected.map((r) => `${r.ref}: ${r.reason}`)).toEqual([
      'resourceMetrics[0].scopeMetrics[0].metrics[0].dataPoints[0] gen_ai.client.token.usage: no model attribute on the data points; the usage cannot be priced',
      'resourceMetrics[0].scopeMetrics[0].metrics[1].dataPoints[0] gen_ai.client.inference.usage.cache_read.input_tokens: no model attribute on the data points; the usage cannot be priced',
    ]);
  });
});

describe('an agent that sends both per-request events and GenAI metrics', () => {
  // Issue 5: "Prefer per-request events over the counters of the same agent; never count both." Gemini CLI records
  // gen_ai.client.token.usage (histogram) beside every gemini_cli.api_response event, from one resource.
  it('records the events and drops the metrics of the same resource', () => {
    const resource = { attributes: [kv('service.name', 'gemini-cli'), kv('session.id', 'g-1')] };
    const ingest = createOtlpIngest({ since: 0 });
    const t = 1_764_000_000_000_000_000n;
    const logs = ingest.logs(
      {
        resourceLogs: [
          {
            resource,
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(t),
                    attributes: [
                      kv('event.name', 'gemini_cli.api_response'),
                      kv('session.id', 'g-1'),
                      kv('prompt_id', 'p-1'),
                      kv('model', 'gemini-2.5-pro'),
                      kv('input_token_count', '2000'),
                      kv('output_token_count', '100'),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      } as never,
      0,
    );
    expect(logs.events).toHaveLength(1);
    // The events are kept (map-batch.ts marks the keys of the events it keeps).
    ingest.mark([...logs.perRequest.values()].flat());
    const point = (type: string, sum: number) => ({
      attributes: [
        kv('session.id', 'g-1'),
        kv('gen_ai.operation.name', 'generate_content'),
        kv('gen_ai.provider.name', 'gcp.gen_ai'),
        kv('gen_ai.request.model', 'gemini-2.5-pro'),
        kv('gen_ai.token.type', type),
      ],
      startTimeUnixNano: String(t),
      timeUnixNano: String(t + 10_000_000_000n),
      count: '1',
      sum,
    });
    const metrics = ingest.metrics(
      {
        resourceMetrics: [
          {
            resource,
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'gen_ai.client.token.usage',
                    histogram: {
                      aggregationTemporality: DELTA,
                      dataPoints: [point('input', 2000), point('output', 100)],
                    },
                  },
                ],
              },
            ],
          },
        ],
      } as unknown as ExportMetricsRequest,
      0,
    );
    expect(metrics.events).toHaveLength(0);
    expect(metrics.superseded).toBe(1);
  });
});

describe('Claude Code sending api_request events and token counters', () => {
  // A company that names its agents on the resource (OTEL_RESOURCE_ATTRIBUTES=gen_ai.agent.name=…, or a key mapped
  // to `agent` in config) gets that name on the events; the counters of the same session are still the same calls.
  it('records the events and drops the counters of the session, whatever agent the resource names', () => {
    const resource = { attributes: [kv('service.name', 'claude-code'), kv('gen_ai.agent.name', 'reviewer')] };
    const t = 1_764_000_000_000_000_000n;
    const ingest = createOtlpIngest({ since: 0 });
    const logs = ingest.logs(
      {
        resourceLogs: [
          {
            resource,
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(t),
                    attributes: [
                      kv('event.name', 'claude_code.api_request'),
                      kv('session.id', 's-1'),
                      kv('request_id', 'req_1'),
                      kv('model', 'claude-sonnet-4-5-20250929'),
                      kv('input_tokens', '10'),
                      kv('output_tokens', '5'),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      } as never,
      0,
    );
    expect(logs.events.map((e) => e.agent)).toEqual(['reviewer']);
    ingest.mark([...logs.perRequest.values()].flat());
    const point = (type: string, value: number) => ({
      attributes: [kv('session.id', 's-1'), kv('model', 'claude-sonnet-4-5-20250929'), kv('type', type)],
      startTimeUnixNano: String(t),
      timeUnixNano: String(t + 60_000_000_000n),
      asInt: String(value),
    });
    const metrics = ingest.metrics(
      {
        resourceMetrics: [
          {
            resource,
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'claude_code.token.usage',
                    sum: {
                      aggregationTemporality: DELTA,
                      isMonotonic: true,
                      dataPoints: [point('input', 10), point('output', 5)],
                    },
                  },
                ],
              },
            ],
          },
        ],
      } as unknown as ExportMetricsRequest,
      0,
    );
    expect(metrics.events).toHaveLength(0);
    expect(metrics.superseded).toBe(1);
  });
});

describe('Claude Code token counters', () => {
  // code.claude.com/docs/en/monitoring-usage, Token counter and Cost counter: `speed: "fast"` when the request used
  // fast mode, absent otherwise. Fast mode is billed at its own prices, as the api_request event's `speed` is.
  it('record the tokens of fast-mode requests in the service tier that prices them', () => {
    const t = 1_764_000_000_000_000_000n;
    const point = (type: string, value: number, speed: ReturnType<typeof kv>[]) => ({
      attributes: [
        kv('session.id', 's-1'),
        kv('model', 'claude-opus-4-6'),
        kv('query_source', 'main'),
        kv('type', type),
        ...speed,
      ],
      startTimeUnixNano: String(t),
      timeUnixNano: String(t + 60_000_000_000n),
      asInt: String(value),
    });
    const m = createOtlpIngest({ since: 0 }).metrics(
      {
        resourceMetrics: [
          {
            resource: { attributes: [kv('service.name', 'claude-code')] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'claude_code.token.usage',
                    sum: {
                      aggregationTemporality: DELTA,
                      isMonotonic: true,
                      dataPoints: [
                        point('input', 100, [kv('speed', 'fast')]),
                        point('output', 10, [kv('speed', 'fast')]),
                        point('input', 200, []),
                        point('output', 20, []),
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      } as unknown as ExportMetricsRequest,
      0,
    );
    expect(m.events.map((e) => [e.input_tokens, e.output_tokens, e.service_tier])).toEqual([
      [100, 10, 'fast'],
      [200, 20, null],
    ]);
    // `query_source` (main, subagent, auxiliary) is tagged as on the api_request events, so the two views agree.
    expect(m.events.map((e) => e.tags.query_source)).toEqual(['main', 'main']);
  });
});

describe('a Sum or Histogram whose aggregationTemporality is unset', () => {
  // OTLP: AGGREGATION_TEMPORALITY_UNSPECIFIED (0, also what an absent field decodes to) "MUST NOT be used". Taken as
  // delta, a cumulative sender that omits it would be counted whole on every export, its use growing 10x, 100x.
  const unset = (asInt: string, minutes: bigint): ExportMetricsRequest => {
    const request = exportWith(0);
    const metrics = request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!;
    for (const m of metrics) {
      const data = (m.histogram ?? m.sum)!;
      delete data.aggregationTemporality;
      for (const p of data.dataPoints!)
        p.timeUnixNano = String(BigInt(p.timeUnixNano as string) + minutes * 60_000_000_000n);
    }
    metrics[1]!.sum!.dataPoints![0]!.asInt = asInt;
    return request;
  };

  it('rejects each of its points, naming the metric and the field, and counts none of them', () => {
    const ingest = createOtlpIngest({ since: 0 });
    for (const [i, total] of ['400', '800'].entries()) {
      const m = ingest.metrics(unset(total, BigInt(i)), 0);
      expect(m.events).toEqual([]);
      expect(m.rejected.map((r) => `${r.ref}: ${r.code}: ${r.reason}`)).toEqual([
        'resourceMetrics[0].scopeMetrics[0].metrics[0].dataPoints[0] gen_ai.client.token.usage: OTLP_BAD_DATA_POINT: histogram.aggregationTemporality is unset (AGGREGATION_TEMPORALITY_UNSPECIFIED), expected 1 (delta) or 2 (cumulative): the points cannot be counted without it',
        'resourceMetrics[0].scopeMetrics[0].metrics[1].dataPoints[0] gen_ai.client.inference.usage.cache_read.input_tokens: OTLP_BAD_DATA_POINT: sum.aggregationTemporality is unset (AGGREGATION_TEMPORALITY_UNSPECIFIED), expected 1 (delta) or 2 (cumulative): the points cannot be counted without it',
      ]);
    }
  });

  it('still reads the enum names OTLP/JSON may spell it with', () => {
    const request = exportWith(0);
    const [histogram, sum] = request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!;
    histogram!.histogram!.aggregationTemporality = 'AGGREGATION_TEMPORALITY_DELTA';
    sum!.sum!.aggregationTemporality = 'AGGREGATION_TEMPORALITY_DELTA';
    const m = createOtlpIngest({ since: 0 }).metrics(request, 0);
    expect(m.rejected).toEqual([]);
    expect(m.events.map((e) => [e.input_tokens, e.cache_read_tokens, e.requests])).toEqual([[806, 400, 4]]);
  });
});

describe('a cumulative histogram point without sum', () => {
  // OTLP: a histogram's sum is optional (left out when observations may be negative). Read as 0, a cumulative series
  // took it for a reset, and its next point counted the whole total again.
  const CUMULATIVE = 2;
  const point = (minutes: bigint, count: string, sum?: number): ExportMetricsRequest => {
    const request = exportWith(0);
    const metrics = request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!;
    metrics.pop();
    const h = metrics[0]!.histogram!;
    h.aggregationTemporality = CUMULATIVE;
    const p = h.dataPoints![0]!;
    p.timeUnixNano = String(BigInt(p.timeUnixNano as string) + minutes * 60_000_000_000n);
    p.count = count;
    if (sum === undefined) delete p.sum;
    else p.sum = sum;
    return request;
  };

  it('is rejected, and the series goes on from its last point with a sum', () => {
    const ingest = createOtlpIngest({ since: 0 });
    expect(ingest.metrics(point(0n, '2', 1000), 0).events.map((e) => e.input_tokens)).toEqual([1000]);
    const missing = ingest.metrics(point(1n, '3'), 0);
    expect(missing.events).toEqual([]);
    expect(missing.rejected.map((r) => `${r.code}: ${r.reason}`)).toEqual([
      'OTLP_BAD_DATA_POINT: sum is absent, expected the cumulative total of the observations: the point cannot be counted without it',
    ]);
    expect(ingest.metrics(point(2n, '4', 1500), 0).events.map((e) => [e.input_tokens, e.requests])).toEqual([
      [500, 2],
    ]);
  });
});
