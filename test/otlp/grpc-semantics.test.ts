import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNALS } from '../../src/server/otlp/otlp-proto.js';
import { type Harness, startHarness, tokens } from './harness.js';

const T0 = 1_767_000_000_000_000_000n;
const kv = (key: string, v: string | number) =>
  typeof v === 'string' ? { key, value: { stringValue: v } } : { key, value: { intValue: v } };
const id = (n: number, bytes: number) => Buffer.from(n.toString(16).padStart(bytes * 2, '0'), 'hex');

function chat(n: number, attributes: ReturnType<typeof kv>[]) {
  return {
    traceId: id(0xbeef, 16),
    spanId: id(n, 8),
    name: 'chat',
    startTimeUnixNano: String(T0 + BigInt(n) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(n) * 1_000_000n + 100_000_000n),
    attributes: [
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.request.model', 'gpt-4o-mini'),
      ...attributes,
    ],
  };
}

/** An ExportTraceServiceRequest's bytes, as an exporter would put them in the gRPC message. */
const traces = (spans: ReturnType<typeof chat>[]) =>
  Buffer.from(
    SIGNALS.traces.request
      .encode(
        SIGNALS.traces.request.fromObject({
          resourceSpans: [
            { resource: { attributes: [kv('service.name', 'grpc-raw')] }, scopeSpans: [{ spans }] },
          ],
        }),
      )
      .finish(),
  );

const TRACE_EXPORT = SIGNALS.traces.grpcPath;

/** One unary call with grpc-js's own client, the bytes as they are: what the receiver answered, decoded. */
function call(
  h: Harness,
  path: string,
  message: Buffer,
  options: grpc.ChannelOptions = {},
): Promise<{
  error: grpc.ServiceError | null;
  partial: { rejectedSpans?: number; errorMessage?: string } | null;
}> {
  const client = new grpc.Client(new URL(h.grpcUrl).host, grpc.credentials.createInsecure(), options);
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      message,
      (error, response) => {
        client.close();
        const decoded = response
          ? (SIGNALS.traces.response.toObject(SIGNALS.traces.response.decode(response), {
              longs: Number,
            }) as {
              partialSuccess?: { rejectedSpans?: number; errorMessage?: string };
            })
          : null;
        resolve({ error, partial: decoded?.partialSuccess ?? null });
      },
    ),
  );
}

// Issue 5: the OTLP/gRPC answers (opentelemetry-proto's specification, "OTLP/gRPC"): OK with partial_success and
// the reasons, INVALID_ARGUMENT for a message that does not decode (exporters do not retry it), UNAVAILABLE for
// backpressure (they retry), over the same write-ahead log as OTLP/HTTP.
describe('OTLP/gRPC receiver', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ bodyLimitBytes: 64 * 1024 });
  });
  afterAll(() => h.close());

  it('partially accepts a gzip-compressed export: good spans land, bad ones are counted with the reason', async () => {
    const r = await call(
      h,
      TRACE_EXPORT,
      traces([
        chat(1, [
          kv('gen_ai.usage.input_tokens', 1200),
          kv('gen_ai.usage.cache_read.input_tokens', 800),
          kv('gen_ai.usage.output_tokens', 90),
        ]),
        chat(2, [kv('gen_ai.usage.input_tokens', 'many')]),
      ]),
      { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip },
    );
    expect(r.error).toBeNull();
    expect(r.partial?.rejectedSpans).toBe(1);
    expect(r.partial?.errorMessage).toContain('gen_ai.usage.input_tokens is "many"');
    const events = await h.ledger();
    expect(tokens(events)).toEqual({
      requests: 1,
      input: 400,
      cache_read: 800,
      cache_write: 0,
      output: 90,
      reasoning: 0,
    });
    expect(events[0]).toMatchObject({ model_requested: 'gpt-4o-mini', duration_ms: 100, source: 'otlp' });
    expect(events[0]!.tags.service).toBe('grpc-raw');
  });

  it('answers OK with no partial_success when every record was used, and stores a retried export once', async () => {
    const before = (await h.ledger()).length;
    const message = traces([
      chat(10, [kv('gen_ai.usage.input_tokens', 5), kv('gen_ai.usage.output_tokens', 1)]),
    ]);
    for (let i = 0; i < 2; i++)
      expect(await call(h, TRACE_EXPORT, message)).toEqual({ error: null, partial: null });
    expect((await h.ledger()).length).toBe(before + 1);
  });

  it('answers a message that does not decode with INVALID_ARGUMENT and the reason, then goes on', async () => {
    const r = await call(h, TRACE_EXPORT, Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    expect(r.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.error?.details).toMatch(/^OTLP_\w+: /);
    expect((await call(h, TRACE_EXPORT, traces([]))).error).toBeNull();
  });

  it('refuses a message past the size limit with RESOURCE_EXHAUSTED, and a method it does not serve with UNIMPLEMENTED', async () => {
    const padded = chat(20, [kv('padding', 'x'.repeat(70 * 1024))]);
    expect((await call(h, TRACE_EXPORT, traces([padded]))).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const other = '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export';
    expect((await call(h, other, traces([]))).error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe('OTLP/gRPC receiver under a flood', () => {
  it('answers UNAVAILABLE while the store is far behind, and takes the export again once it caught up', async () => {
    let open = () => {};
    const h = await startHarness({ maxBehind: 15, storeOpens: new Promise<void>((r) => (open = r)) });
    try {
      const ten = (first: number) =>
        traces(Array.from({ length: 10 }, (_, i) => chat(first + i, [kv('gen_ai.usage.input_tokens', 100)])));
      expect((await call(h, TRACE_EXPORT, ten(1))).error).toBeNull(); // 10 behind
      expect((await call(h, TRACE_EXPORT, ten(11))).error).toBeNull(); // 20 behind: over the limit from now on
      const refused = await call(h, TRACE_EXPORT, ten(21));
      expect(refused.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(refused.error?.details).toMatch(
        /^OTLP_BUSY: 20 acknowledged events are still on their way into the store \(limit 15\)/,
      );
      open();
      await h.wal.drain();
      expect((await call(h, TRACE_EXPORT, ten(21))).error).toBeNull();
      const events = await h.ledger();
      expect(events).toHaveLength(30);
      expect(tokens(events).input).toBe(3000);
    } finally {
      open();
      await h.close();
    }
  });
});
