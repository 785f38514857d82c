import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsCommand } from '../../src/cli/metrics.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { freePort } from '../helpers/free-port.js';

// Tokens per joule (docs/metrics.md): a company serving a model on its own GPUs sends their energy counters over
// OTLP, names in config which model those GPUs serve, and reads tokens per joule beside its other metrics.
describe('tokens per joule from GPU energy telemetry and the calls those GPUs served', () => {
  let dir: string;
  let ledger: string;
  let running: RunningServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-gpu-energy-'));
    ledger = join(dir, 'ledger.duckdb');
    const config = join(dir, 'tokenledger.config.yaml');
    await writeFile(
      config,
      [
        'otlp:',
        '  gpus:',
        '    - match: {host.name: gpu-node-1}',
        '      model: llama-3.1-70b-instruct',
        '      provider: vllm',
        '',
      ].join('\n'),
    );
    running = await startServer({
      ledgerPath: ledger,
      configPath: config,
      cwd: dir,
      env: {},
      port: 0,
      otlpPort: await freePort(),
      otlpGrpcPort: 0,
      openStore: (p) => createDuckDbStore(p),
      log: () => {},
    });
  });
  afterAll(async () => {
    await running.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** GenAI spans of an app: `calls` calls of `model`, each 1,000 tokens in and 200 out. */
  async function calls(model: string, n: number): Promise<void> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${running.otlpUrl}/v1/traces` })),
      ],
    });
    for (let i = 0; i < n; i++)
      provider
        .getTracer('t')
        .startSpan(`chat ${model}`, {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': model,
            'gen_ai.usage.input_tokens': 1000,
            'gen_ai.usage.output_tokens': 200,
          },
        })
        .end();
    await provider.shutdown();
  }

  it('sets the joules of the GPUs serving a model against that model’s tokens only', async () => {
    await calls('llama-3.1-70b-instruct', 3);
    await calls('gpt-4o-mini', 2);
    // Two GPUs of the pool, each a cumulative counter in joules, exported twice (the SDK's cumulative default).
    const used = { gpu0: 0, gpu1: 0 };
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${running.otlpUrl}/v1/metrics` }),
      exportIntervalMillis: 3_600_000,
    });
    const meters = new MeterProvider({
      resource: resourceFromAttributes({ 'host.name': 'gpu-node-1' }),
      readers: [reader],
    });
    meters
      .getMeter('dcgm-bridge')
      .createObservableCounter('hw.energy', { unit: 'J' })
      .addCallback((r) => {
        for (const [id, joules] of Object.entries(used)) r.observe(joules, { 'hw.id': id, 'hw.type': 'gpu' });
      });
    used.gpu0 = 700;
    used.gpu1 = 500;
    await meters.forceFlush();
    used.gpu0 = 1_100.5;
    used.gpu1 = 800;
    await meters.forceFlush();
    await meters.shutdown();
    await running.wal.drain();

    const { admin_token } = JSON.parse(await readFile(ledger.replace(/\.duckdb$/, '.server.json'), 'utf8'));
    const res = await fetch(`${running.url}/api/metrics?dims=model`, {
      headers: { authorization: `Bearer ${admin_token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { groups: Record<string, unknown>[]; total: Record<string, unknown> };
    const byModel = new Map(body.groups.map((g) => [g.model, [g.tokens, g.energy_j, g.tokens_per_joule]]));
    // 3 calls of 1,200 tokens over 1,900.5 J; the hosted model's calls have no energy and count in no rate.
    expect(byModel.get('llama-3.1-70b-instruct')).toEqual([
      3_600,
      1_900.5,
      Number((3_600 / 1_900.5).toPrecision(6)),
    ]);
    expect(byModel.get('gpt-4o-mini')).toEqual([2_400, null, null]);
    expect([body.total.tokens, body.total.energy_j, body.total.tokens_per_joule]).toEqual([
      6_000,
      1_900.5,
      Number((3_600 / 1_900.5).toPrecision(6)),
    ]);
    // The energy is two windows of the pool, each an event with no tokens, no calls and no cost.
    const energy = await running.store.events({ filters: [{ dimension: 'operation', values: ['energy'] }] });
    expect(energy.map((e) => [e.energy_j, e.requests, e.cost_usd, e.cost_source]).sort()).toEqual([
      [1_200, 0, 0n, 'computed'],
      [700.5, 0, 0n, 'computed'],
    ]);

    // The CLI, reading through the server that holds the ledger, prints the same.
    let printed = '';
    await metricsCommand({ db: ledger, by: 'model' }, (s) => {
      printed += s;
    });
    expect(printed).toMatch(/llama-3\.1-70b-instruct .* 1\.90 kJ +1\.89424/);
    expect(printed).toContain('tokens/J: tokens of the group');
  });
});
