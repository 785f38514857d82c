import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNALS } from '../../src/server/otlp/otlp-proto.js';
import { attributeMap } from '../../src/sources/otlp/attribution.js';
import { zstdFrame } from '../helpers/zstd-frame.js';
import { type Harness, startHarness, tokens } from './harness.js';

const T0 = 1_767_000_000_000_000_000n;
const kv = (key: string, v: string | number) =>
  typeof v === 'string' ? { key, value: { stringValue: v } } : { key, value: { intValue: String(v) } };

function span(id: number, parent: number | null, attributes: ReturnType<typeof kv>[]) {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: id.toString(16).padStart(16, '0'),
    ...(parent !== null ? { parentSpanId: parent.toString(16).padStart(16, '0') } : {}),
    name: 'span',
    startTimeUnixNano: String(T0 + BigInt(id) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(id) * 1_000_000n + 250_000_000n),
    attributes,
  };
}

const body = (spans: unknown[]) => ({
  resourceSpans: [
    {
      resource: { attributes: [kv('service.name', 'raw'), kv('department', 'r&d')] },
      scopeSpans: [{ spans }],
    },
  ],
});

// Issue 5: the OTLP/HTTP response semantics: partial success with reasons, 400 for bodies that do not decode,
// gzip, and agent/task attribution from invoke_agent / invoke_workflow spans of the same trace.
describe('OTLP/HTTP receiver', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const post = (path: string, payload: Buffer | string, headers: Record<string, string>) =>
    fetch(`${h.url}${path}`, { method: 'POST', body: payload, headers });

  it('partially accepts a batch: good spans land, bad ones are counted with the reason', async () => {
    const chat = (id: number, extra: ReturnType<typeof kv>[] = []) =>
      span(id, 2, [
        kv('gen_ai.operation.name', 'chat'),
        kv('gen_ai.request.model', 'claude-sonnet-4-20250514'),
        kv('gen_ai.provider.name', 'anthropic'),
        ...extra,
      ]);
    const res = await post(
      '/v1/traces',
      gzipSync(
        JSON.stringify(
          body([
            span(1, null, [
              kv('gen_ai.operation.name', 'invoke_workflow'),
              kv('gen_ai.workflow.name', 'triage'),
            ]),
            span(2, 1, [kv('gen_ai.operation.name', 'invoke_agent'), kv('gen_ai.agent.name', 'triager')]),
            chat(3, [
              kv('gen_ai.usage.input_tokens', 1200),
              kv('gen_ai.usage.cache_read.input_tokens', 800),
              kv('gen_ai.usage.cache_creation.input_tokens', 100),
              kv('gen_ai.usage.output_tokens', 90),
            ]),
            chat(4, [kv('gen_ai.usage.input_tokens', 'many')]),
            span(5, 2, [kv('gen_ai.operation.name', 'chat'), kv('gen_ai.usage.input_tokens', 5)]),
          ]),
        ),
      ),
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    );
    expect(res.status).toBe(200);
    const r = (await res.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(r.partialSuccess.rejectedSpans).toBe(2);
    expect(r.partialSuccess.errorMessage).toMatch(/^2 records rejected: /);
    expect(r.partialSuccess.errorMessage).toContain('gen_ai.usage.input_tokens is "many"');
    expect(r.partialSuccess.errorMessage).toContain('no gen_ai.response.model or gen_ai.request.model');
    const events = await h.ledger();
    expect(events).toHaveLength(1);
    expect(tokens(events)).toEqual({
      requests: 1,
      input: 300,
      cache_read: 800,
      cache_write: 100,
      output: 90,
      reasoning: 0,
    });
    expect(events[0]).toMatchObject({
      agent: 'triager',
      task_id: 'triage',
      duration_ms: 250,
      ts: Number((T0 + 3_000_000n) / 1000n),
    });
    expect(events[0]!.tags.department).toBe('r&d');
  });

  it('answers protobuf with protobuf, and a body that does not decode with 400 and the reason', async () => {
    const ok = await post('/v1/traces', Buffer.from(SIGNALS.traces.request.encode({}).finish()), {
      'content-type': 'application/x-protobuf',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-protobuf');
    const bad = await post('/v1/logs', Buffer.from([0x0a, 0xff, 0xff, 0xff]), {
      'content-type': 'application/x-protobuf',
    });
    expect(bad.status).toBe(400);
    const json = await post('/v1/metrics', '{"resourceMetrics": [', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { message: string }).message).toContain('not valid JSON');
    expect((await post('/v1/traces', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/nope', '{}', { 'content-type': 'application/json' })).status).toBe(404);
  });

  it('answers JSON that is an object but not an export request with 400, not a 503 exporters would retry', async () => {
    for (const [path, payload] of [
      ['/v1/logs', { resourceLogs: 5 }],
      ['/v1/logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [null] }] }] }],
      ['/v1/metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [null] }] }] }],
      ['/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans: [null] }] }] }],
    ] as const) {
      const res = await post(path, JSON.stringify(payload), { 'content-type': 'application/json' });
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/^OTLP_BAD_BODY: not an Export/);
    }
  });

  it('answers a JSON export of another signal than its path with 400 naming the right path, not a 200 that drops it', async () => {
    // Gemini CLI before it appended the paths sent every signal to its endpoint as given: one set to …/v1/traces got
    // its logs, the api_response events the ledger reads, taken at /v1/traces as an empty trace export.
    const logs = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: String(T0),
                  attributes: [
                    kv('event.name', 'gemini_cli.api_response'),
                    kv('model', 'gemini-2.5-pro'),
                    kv('input_token_count', 100),
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post('/v1/traces', JSON.stringify(logs), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'OTLP_BAD_BODY: a JSON body with resourceLogs and no resourceSpans is not an ExportTraceServiceRequest; POST it to /v1/logs',
    );
    // An export request with none of the keys is an empty one, as before.
    const empty = await post('/v1/metrics', '{}', { 'content-type': 'application/json' });
    expect(empty.status).toBe(200);
  });

  it('records a call whose reported cost is past what money holds, without that cost, instead of failing the export', async () => {
    const costly = (id: number, cost: number) =>
      span(id, null, [
        kv('gen_ai.operation.name', 'chat'),
        kv('gen_ai.request.model', 'gpt-4o-mini'),
        kv('gen_ai.usage.input_tokens', 3),
        { key: 'gen_ai.usage.cost', value: { doubleValue: cost } } as unknown as ReturnType<typeof kv>,
      ]);
    const res = await post('/v1/traces', JSON.stringify(body([costly(0x41, 1e300), costly(0x42, 0.25)])), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    const logs = await post(
      '/v1/logs',
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [kv('service.name', 'claude-code')] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(T0),
                    attributes: [
                      kv('event.name', 'claude_code.api_request'),
                      kv('request_id', 'req_costly'),
                      kv('model', 'claude-sonnet-4-20250514'),
                      kv('input_tokens', '4'),
                      kv('cost_usd', '1e30'),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
    expect(logs.status).toBe(200);
    const events = await h.ledger();
    const cost = (ref: string) => events.find((e) => e.source_ref?.includes(ref))?.provider_cost_usd;
    expect(cost('0000000000000041')).toBeNull();
    expect(cost('0000000000000042')).toBe(250_000_000_000n);
    expect(cost('req_costly')).toBeNull();
  });

  // OTLP/JSON has no NaN token: null (what JSON.stringify makes of NaN) and the protobuf JSON mapping's "NaN" spell it.
  it('reads a count sent as null or "NaN" as not sent, the call recorded without it', async () => {
    const value = (key: string, v: object) => ({ key, value: v }) as unknown as ReturnType<typeof kv>;
    const chat = (id: number, usage: ReturnType<typeof kv>[]) =>
      span(id, null, [
        kv('gen_ai.operation.name', 'chat'),
        kv('gen_ai.request.model', 'gpt-4o-mini'),
        ...usage,
      ]);
    const res = await post(
      '/v1/traces',
      JSON.stringify(
        body([
          chat(0x51, [
            value('gen_ai.usage.input_tokens', { intValue: null }),
            kv('gen_ai.usage.output_tokens', 10),
          ]),
          chat(0x52, [
            kv('gen_ai.usage.input_tokens', 7),
            value('gen_ai.usage.output_tokens', { doubleValue: 'NaN' }),
          ]),
          chat(0x53, [
            kv('gen_ai.usage.input_tokens', 9),
            value('gen_ai.usage.cache_read.input_tokens', { doubleValue: null }),
          ]),
        ]),
      ),
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const events = (await h.ledger()).filter((e) =>
      /span 00000000000000(51|52|53)$/.test(e.source_ref ?? ''),
    );
    expect(events.map((e) => [e.input_tokens, e.cache_read_tokens, e.output_tokens]).sort()).toEqual([
      [0, 0, 10],
      [7, 0, 0],
      [9, 0, 0],
    ]);
  });

  it('rejects, before the 200, records the store would refuse, so they cannot block the write-ahead log', async () => {
    const chat = (id: number, start: string, attributes: ReturnType<typeof kv>[]) => ({
      ...span(id, null, [
        kv('gen_ai.operation.name', 'chat'),
        kv('gen_ai.request.model', 'gpt-4o-mini'),
        ...attributes,
      ]),
      startTimeUnixNano: start,
    });
    const traces = await post(
      '/v1/traces',
      JSON.stringify(
        body([
          chat(0x31, '18446744073709551615', [kv('gen_ai.usage.input_tokens', 10)]),
          chat(0x32, String(T0), [
            kv('gen_ai.usage.output_tokens', 9007199254740990),
            kv('gen_ai.usage.reasoning.output_tokens', 9007199254740991),
          ]),
          chat(0x33, String(T0), [kv('gen_ai.usage.input_tokens', 7)]),
        ]),
      ),
      { 'content-type': 'application/json' },
    );
    const t = (await traces.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(t.partialSuccess.rejectedSpans).toBe(2);
    expect(t.partialSuccess.errorMessage).toContain('is not a usable epoch time');
    expect(t.partialSuccess.errorMessage).toContain('output_tokens would be 18014398509481980');
    const point = (value: object) => ({
      attributes: [kv('gen_ai.request.model', 'gpt-4o-mini'), kv('gen_ai.token.type', 'input')],
      startTimeUnixNano: String(T0),
      timeUnixNano: String(T0 + 60_000_000_000n),
      ...value,
    });
    const metrics = await post(
      '/v1/metrics',
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [kv('service.name', 'counters-only')] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'gen_ai.client.inference.usage.input_tokens',
                    sum: {
                      aggregationTemporality: 1,
                      isMonotonic: true,
                      dataPoints: [point({ asDouble: 1e300 })],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
    const m = (await metrics.json()) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(m.partialSuccess.rejectedDataPoints).toBe(1);
    expect(m.partialSuccess.errorMessage).toContain('input_tokens would be 1e+300');
    const events = (await h.ledger()).filter((e) => e.source_ref?.includes('0000000000000033'));
    expect(tokens(events).input).toBe(7);
  });
});

/** POSTs one OTLP/JSON metrics export of `metric` from a resource named `service`, and reads the answer. */
async function postMetrics(h: Harness, service: string, metric: object) {
  const res = await fetch(`${h.url}/v1/metrics`, {
    method: 'POST',
    body: JSON.stringify({
      resourceMetrics: [
        { resource: { attributes: [kv('service.name', service)] }, scopeMetrics: [{ metrics: [metric] }] },
      ],
    }),
    headers: { 'content-type': 'application/json' },
  });
  return (await res.json()) as { partialSuccess?: { rejectedDataPoints: number; errorMessage: string } };
}

// OTLP's FLAG_NO_RECORDED_VALUE (flags bit 0) marks a point with no value, as the Prometheus receiver's staleness
// markers do: it has no asInt or asDouble, which read as 0. A cumulative series at 0 was a reset, and the next real
// point counted its whole total a second time.
describe('OTLP/HTTP receiver and cumulative points with no recorded value', () => {
  const startMs = BigInt(Date.now());
  const ns = (s: number) => String((startMs + BigInt(s) * 1000n) * 1_000_000n);
  const point = (s: number, value: object) => ({
    attributes: [kv('gen_ai.request.model', 'gpt-4o-mini'), kv('gen_ai.token.type', 'input')],
    startTimeUnixNano: ns(0),
    timeUnixNano: ns(s),
    ...value,
  });
  const metric = (p: object) => ({
    name: 'gen_ai.client.token.usage',
    sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [p] },
  });

  it('skips them over OTLP/JSON: the series goes on from its last recorded point', async () => {
    const h = await startHarness();
    try {
      await postMetrics(h, 'stale', metric(point(10, { asInt: '100' })));
      await postMetrics(h, 'stale', metric(point(20, { flags: 1 })));
      await postMetrics(h, 'stale', metric(point(30, { asInt: '150' })));
      expect(tokens(await h.ledger()).input).toBe(150);
    } finally {
      await h.close();
    }
  });

  it('skips them over OTLP/protobuf too', async () => {
    const h = await startHarness();
    try {
      const post = (p: object) => {
        const { request } = SIGNALS.metrics;
        const req = {
          resourceMetrics: [
            {
              resource: { attributes: [kv('service.name', 'stale')] },
              scopeMetrics: [{ metrics: [metric(p)] }],
            },
          ],
        };
        return fetch(`${h.url}/v1/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: request.encode(request.fromObject(req)).finish(),
        });
      };
      expect((await post(point(10, { asInt: 100 }))).status).toBe(200);
      expect((await post(point(20, { flags: 1 }))).status).toBe(200);
      expect((await post(point(30, { asInt: 150 }))).status).toBe(200);
      expect(tokens(await h.ledger()).input).toBe(150);
    } finally {
      await h.close();
    }
  });
});

describe('OTLP/HTTP receiver partial success for metrics', () => {
  it('counts every data point of a window the store would refuse, not one per window', async () => {
    const h = await startHarness();
    try {
      const point = (type: string, value: object) => ({
        attributes: [kv('gen_ai.request.model', 'gpt-4o-mini'), kv('gen_ai.token.type', type)],
        startTimeUnixNano: String(T0),
        timeUnixNano: String(T0 + 60_000_000_000n),
        ...value,
      });
      // One window of one series set: its input and output points make one event, which holds 1e300 tokens.
      const m = await postMetrics(h, 'points', {
        name: 'gen_ai.client.token.usage',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [point('input', { count: '1', sum: 100 }), point('output', { count: '1', sum: 1e300 })],
        },
      });
      expect(m.partialSuccess?.rejectedDataPoints).toBe(2);
      expect(m.partialSuccess?.errorMessage).toMatch(/^2 records rejected: /);
      expect(m.partialSuccess?.errorMessage).toContain('dataPoints[0] gen_ai.client.token.usage');
      expect(m.partialSuccess?.errorMessage).toContain('dataPoints[1] gen_ai.client.token.usage');
      expect(m.partialSuccess?.errorMessage).toContain('output_tokens would be 1e+300');
      expect(await h.ledger()).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  // As a span's or a log record's token count that is no number: the sender is told which point and what it sent,
  // where the point was dropped with a 200 that said nothing.
  it('rejects a data point whose value is not a number, naming it, and keeps the points beside it', async () => {
    const h = await startHarness();
    try {
      const point = (session: string, value: object) => ({
        attributes: [kv('model', 'claude-sonnet-4-20250514'), kv('session.id', session), kv('type', 'input')],
        startTimeUnixNano: String(T0),
        timeUnixNano: String(T0 + 60_000_000_000n),
        ...value,
      });
      const m = await postMetrics(h, 'claude-code', {
        name: 'claude_code.token.usage',
        sum: {
          aggregationTemporality: 1,
          isMonotonic: true,
          dataPoints: [
            point('s1', { asInt: 'lots' }),
            point('s2', { asDouble: 'many' }),
            point('s3', { asInt: '42' }),
          ],
        },
      });
      expect(m.partialSuccess?.rejectedDataPoints).toBe(2);
      expect(m.partialSuccess?.errorMessage).toContain(
        'dataPoints[0] claude_code.token.usage: asInt is "lots", expected a number',
      );
      expect(m.partialSuccess?.errorMessage).toContain(
        'dataPoints[1] claude_code.token.usage: asDouble is "many", expected a number',
      );
      expect((await h.ledger()).map((e) => [e.session_id, e.input_tokens])).toEqual([['s3', 42]]);
    } finally {
      await h.close();
    }
  });
});

describe('OTLP/HTTP receiver under a flood', () => {
  it('refuses exports with 503 and Retry-After while the store is far behind, and takes them again once it caught up', async () => {
    let open = () => {};
    const h = await startHarness({ maxBehind: 15, storeOpens: new Promise<void>((r) => (open = r)) });
    try {
      const chat = (id: number) =>
        span(id, null, [
          kv('gen_ai.operation.name', 'chat'),
          kv('gen_ai.request.model', 'gpt-4o-mini'),
          kv('gen_ai.usage.input_tokens', 100),
        ]);
      const send = (first: number) =>
        fetch(`${h.url}/v1/traces`, {
          method: 'POST',
          body: JSON.stringify(body(Array.from({ length: 10 }, (_, i) => chat(first + i)))),
          headers: { 'content-type': 'application/json' },
        });
      expect((await send(1)).status).toBe(200); // 10 behind
      expect((await send(11)).status).toBe(200); // 20 behind: over the limit from now on
      const refused = await send(21);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { message: string }).message).toMatch(
        /^OTLP_BUSY: 20 acknowledged events are still on their way into the store \(limit 15\)/,
      );
      open();
      await h.wal.drain();
      expect((await send(21)).status).toBe(200);
      const events = await h.ledger();
      // Every acknowledged span once; the refused export counted only when it was sent again.
      expect(events).toHaveLength(30);
      expect(tokens(events).input).toBe(3000);
    } finally {
      open();
      await h.close();
    }
  });
});

describe('OTLP/HTTP receiver and deeply nested attribute values', () => {
  it('records the span and keeps the value as JSON written once, however deep it nests', async () => {
    const h = await startHarness({ attributes: attributeMap({ 'tags.deep': 'deep' }) });
    try {
      // 30 arrays deep: escaping the inner JSON text again at each level made ~2^30 backslashes, a 503 retried.
      const nested = (depth: number) =>
        `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"say \\"hi\\""}${']}}'.repeat(depth)}`;
      const chat = (id: number, depth: number) =>
        JSON.stringify(
          span(id, null, [
            kv('gen_ai.operation.name', 'chat'),
            kv('gen_ai.request.model', 'gpt-4o-mini'),
            kv('gen_ai.usage.input_tokens', 10),
          ]),
        ).replace(/]}$/, `,{"key":"deep","value":${nested(depth)}}]}`);
      const res = await fetch(`${h.url}/v1/traces`, {
        method: 'POST',
        body: `{"resourceSpans":[{"scopeSpans":[{"spans":[${chat(0x51, 3)},${chat(0x52, 30)}]}]}]}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{}');
      const events = await h.ledger();
      const deep = (spanId: string) => events.find((e) => e.source_ref?.endsWith(spanId))?.tags.deep;
      expect(deep('0000000000000051')).toBe('[[["say \\"hi\\""]]]');
      expect(deep('0000000000000052')).toBe(`${'['.repeat(30)}"say \\"hi\\""${']'.repeat(30)}`);
    } finally {
      await h.close();
    }
  });
});

describe('OTLP/HTTP receiver size limit', () => {
  it('answers a gzip body that inflates past the limit with 413 OTLP_TOO_LARGE, as one sent that large', async () => {
    const h = await startHarness({ bodyLimitBytes: 64 * 1024 });
    try {
      const inflated = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(128 * 1024) });
      const res = await fetch(`${h.url}/v1/traces`, {
        method: 'POST',
        body: gzipSync(inflated),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { message: string }).message).toBe(
        'OTLP_TOO_LARGE: body larger than 65536 bytes once decoded (gzip); export smaller batches',
      );
    } finally {
      await h.close();
    }
  });
});

describe('OTLP/HTTP receiver content codings', () => {
  const chatSpan = (id: number) =>
    span(id, null, [
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.request.model', 'claude-sonnet-4-20250514'),
      kv('gen_ai.provider.name', 'anthropic'),
      kv('gen_ai.usage.input_tokens', 100 * id),
      kv('gen_ai.usage.output_tokens', id),
    ]);
  const send = (h: Harness, encoding: string, payload: Buffer) =>
    fetch(`${h.url}/v1/traces`, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    });

  it("takes zstd, deflate, zlib and br (the Collector's otlphttp exporter sends its compression's name), refuses others with 415", async () => {
    const h = await startHarness({ bodyLimitBytes: 64 * 1024 });
    try {
      const json = (id: number) => Buffer.from(JSON.stringify(body([chatSpan(id)])));
      const sent: [string, Buffer][] = [
        ['zstd', zstdFrame({ windowByte: 7 << 3, blocks: [{ raw: json(1) }] })],
        ['deflate', deflateSync(json(2))],
        ['br', brotliCompressSync(json(3))],
        ['zlib', deflateSync(json(4))],
      ];
      for (const [encoding, payload] of sent)
        expect((await send(h, encoding, payload)).status, encoding).toBe(200);
      expect(tokens(await h.ledger())).toMatchObject({ requests: 4, input: 1000, output: 10 });
      const snappy = await send(h, 'snappy', json(6));
      expect(snappy.status).toBe(415);
      expect(((await snappy.json()) as { message: string }).message).toBe(
        'OTLP_CONTENT_ENCODING: content-encoding snappy: send gzip, zstd, deflate, zlib, br or no encoding',
      );
      // 1 GiB of zeros in 32 kB of zstd: refused once past the limit, never decoded whole.
      const bomb = zstdFrame({
        windowByte: 7 << 3,
        blocks: Array.from({ length: 8192 }, () => ({ rle: 0, size: 128 << 10 })),
      });
      const large = await send(h, 'zstd', bomb);
      expect(large.status).toBe(413);
      expect(((await large.json()) as { message: string }).message).toBe(
        'OTLP_TOO_LARGE: body larger than 65536 bytes once decoded (zstd); export smaller batches',
      );
      const broken = await send(h, 'zstd', json(5));
      expect(broken.status).toBe(400);
      expect(((await broken.json()) as { message: string }).message).toContain(
        'content-encoding zstd, but the body is not valid zstd: byte 0 starts no Zstandard frame',
      );
      expect(tokens(await h.ledger()).requests).toBe(4);
    } finally {
      await h.close();
    }
  });
});
