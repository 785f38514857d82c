import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposedNote, type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { freePort } from '../helpers/free-port.js';

// Issue 5, point 5: a company maps its own resource attributes to attribution once, in tokenledger.config.yaml,
// and `tokenledger serve` applies it to everything that arrives over OTLP.
describe('tokenledger serve with otlp.attributes in its config', () => {
  let dir: string;
  let running: RunningServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-otlp-serve-'));
    const config = join(dir, 'tokenledger.config.yaml');
    await writeFile(
      config,
      'otlp:\n  attributes:\n    team: department\n    project: [repo.name, service.name]\n',
    );
    running = await startServer({
      ledgerPath: join(dir, 'ledger.duckdb'),
      configPath: config,
      cwd: dir,
      env: {},
      port: 0,
      otlpPort: await freePort(),
      otlpGrpcPort: await freePort(),
      openStore: (p) => createDuckDbStore(p),
      log: () => {},
    });
  });
  afterAll(async () => {
    await running.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('attributes spans by the configured keys', async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'billing-api',
        department: 'payments',
        'repo.name': 'ledger-svc',
      }),
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${running.otlpUrl}/v1/traces` })),
      ],
    });
    const span = provider.getTracer('t').startSpan('chat gpt-4o-mini', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 80,
      },
    });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();
    await running.wal.drain();
    const events = await running.store.events({ limit: 10 });
    expect(events.map((e) => [e.source, e.team, e.project, e.input_tokens, e.output_tokens])).toEqual([
      ['otlp', 'payments', 'ledger-svc', 1200, 80],
    ]);
  });

  it('counts what the receiver answered and recorded on /metrics', async () => {
    const post = (path: string, body: string) =>
      fetch(`${running.otlpUrl}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
    expect((await post('/v1/logs', '{"resourceLogs": [')).status).toBe(400);
    const chat = (spanId: string, tokens: string) => ({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId,
      startTimeUnixNano: '1767000000000000000',
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
        { key: 'gen_ai.usage.input_tokens', value: { stringValue: tokens } },
      ],
    });
    const traces = {
      resourceSpans: [
        { scopeSpans: [{ spans: [chat('00f067aa0ba902b7', '5'), chat('00f067aa0ba902b8', 'x')] }] },
      ],
    };
    expect((await post('/v1/traces', JSON.stringify(traces))).status).toBe(200);
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toContain('tokenledger_otlp_requests_total{transport="http",signal="logs",status="400"} 1');
    expect(text).toContain(
      'tokenledger_otlp_requests_total{transport="http",signal="traces",status="200"} 2',
    );
    expect(text).toContain('tokenledger_otlp_records_total{signal="traces",outcome="recorded"} 2');
    expect(text).toContain('tokenledger_otlp_records_total{signal="traces",outcome="rejected"} 1');
  });

  it('takes the same exports over OTLP/gRPC, attributed by the same config, and counts them apart on /metrics', async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'search-api', department: 'search' }),
      spanProcessors: [new SimpleSpanProcessor(new GrpcTraceExporter({ url: running.otlpGrpcUrl! }))],
    });
    provider
      .getTracer('t')
      .startSpan('chat gpt-4o-mini', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 300,
          'gen_ai.usage.output_tokens': 30,
        },
      })
      .end();
    await provider.shutdown();
    await running.wal.drain();
    const events = await running.store.events({
      limit: 10,
      filters: [{ dimension: 'team', values: ['search'] }],
    });
    expect(events.map((e) => [e.source, e.team, e.project, e.input_tokens, e.output_tokens])).toEqual([
      ['otlp', 'search', 'search-api', 300, 30],
    ]);
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toContain('tokenledger_otlp_requests_total{transport="grpc",signal="traces",status="OK"} 1');
  });

  it('rejects a config key that is not an attribution field, naming it', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'otlp:\n  attributes:\n    colour: department\n');
    await expect(
      startServer({
        ledgerPath: join(dir, 'other.duckdb'),
        configPath: bad,
        cwd: dir,
        env: {},
        port: 0,
        openStore: (p) => createDuckDbStore(p),
        log: () => {},
      }),
    ).rejects.toThrow(/otlp\.attributes.*colour|colour.*attribution field/s);
  });
});

describe('tokenledger serve on a port that is taken', () => {
  it('says which port and which option to change, for the gateway and for the OTLP receiver, and keeps nothing open', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-serve-port-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const said: string[] = [];
    const start = (o: {
      port: number;
      otlpPort: number;
      otlpGrpcPort?: number;
      otlpOptional?: { http?: boolean; grpc?: boolean };
    }) =>
      startServer({
        ledgerPath: join(dir, 'ledger.duckdb'),
        configPath: null,
        cwd: dir,
        env: {},
        ...o,
        openStore: (p) => createDuckDbStore(p),
        log: (line) => said.push(line),
      });
    try {
      await expect(start({ port, otlpPort: 0 })).rejects.toMatchObject({
        code: 'SERVE_LISTEN_FAILED',
        message: `127.0.0.1:${port} is in use (another tokenledger serve, or another program): pass --port N (--port 0 picks a free one)`,
      });
      await expect(start({ port: 0, otlpPort: port })).rejects.toMatchObject({
        code: 'SERVE_LISTEN_FAILED',
        message: expect.stringContaining('pass --otlp-port N (--otlp-port 0 turns the receiver off)'),
      });
      await expect(start({ port: 0, otlpPort: 0, otlpGrpcPort: port })).rejects.toMatchObject({
        code: 'SERVE_LISTEN_FAILED',
        message: `127.0.0.1:${port} is in use (another tokenledger serve, or another program): pass --otlp-grpc-port N (--otlp-grpc-port 0 turns the gRPC receiver off)`,
      });
      await expect(
        start({ port: 0, otlpPort: 0, otlpGrpcPort: port, otlpOptional: { http: true } }),
      ).rejects.toMatchObject({
        code: 'SERVE_LISTEN_FAILED',
      });
      // What the failed starts opened is closed again: another process can open the ledger for writing.
      const opened = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { DuckDBInstance } from '@duckdb/node-api';
           await DuckDBInstance.create(${JSON.stringify(join(dir, 'ledger.duckdb'))}); console.log('opened');`,
        ],
        { encoding: 'utf8' },
      );
      expect(opened.trim()).toBe('opened');
      // The default OTLP ports taken (a collector holds 4317 and 4318 on many machines): the server runs without
      // that receiver, and with the other.
      const running = await start({
        port: 0,
        otlpPort: port,
        otlpGrpcPort: await freePort(),
        otlpOptional: { http: true },
      });
      expect(running.otlpUrl).toBeNull();
      expect(running.otlpGrpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(said).toContain(
        `note: 127.0.0.1:${port} is in use (an OpenTelemetry Collector?): serving without the OTLP/HTTP receiver; pass --otlp-port N to run it on another port`,
      );
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      await running.close();
      const noGrpc = await start({ port: 0, otlpPort: 0, otlpGrpcPort: port, otlpOptional: { grpc: true } });
      expect(noGrpc.otlpGrpcUrl).toBeNull();
      expect(said).toContain(
        `note: 127.0.0.1:${port} is in use (an OpenTelemetry Collector?): serving without the OTLP/gRPC receiver; pass --otlp-grpc-port N to run it on another port`,
      );
      await noGrpc.close();
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says once, when reachable from other machines, that traffic is plain HTTP and who may call; on loopback, nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-serve-host-'));
    const said: string[] = [];
    const start = (host: string) =>
      startServer({
        ledgerPath: join(dir, 'ledger.duckdb'),
        configPath: null,
        cwd: dir,
        env: {},
        host,
        port: 0,
        otlpPort: 0,
        openStore: (p) => createDuckDbStore(p),
        log: (line) => said.push(line),
      });
    try {
      await (await start('127.0.0.1')).close();
      expect(said.filter((l) => l.startsWith('note: listening'))).toEqual([]);
      await (await start('0.0.0.0')).close();
      expect(said.filter((l) => l.startsWith('note: listening'))).toEqual([exposedNote('0.0.0.0', false)]);
      expect(exposedNote('0.0.0.0', false)).toContain('Traffic is plain HTTP');
      expect(exposedNote('0.0.0.0', false)).toContain('keys: { required: true }');
      expect(exposedNote('0.0.0.0', true)).not.toContain('without a virtual key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
