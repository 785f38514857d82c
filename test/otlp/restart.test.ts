import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/ledger/event.js';
import { ingestJournalPath } from '../../src/server/otlp/ingest-journal.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { freePort } from '../helpers/free-port.js';
import { tokens } from './harness.js';

const SONNET = 'claude-sonnet-4-20250514';
const GENAI = { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.provider.name': 'openai' };

// Issue 5, points 3 and 4, across a restart of `tokenledger serve`: senders go on exporting while the server
// restarts (an upgrade, a crash), and what the receiver remembered of them — which keys send per-request records,
// where each cumulative series stood — is kept in `<ledger>.otlp-state`, so the first metric window after the
// restart is neither counted a second time nor lost.
describe('OTLP senders across a restart of tokenledger serve (real OpenTelemetry SDK)', () => {
  let dir: string;
  let ledgerPath: string;
  let otlpPort: number;
  let running: RunningServer | null = null;
  const start = async (log: (line: string) => void = () => {}) => {
    running = await startServer({
      ledgerPath,
      configPath: null,
      cwd: dir,
      env: {},
      port: 0,
      otlpPort,
      openStore: (p) => createDuckDbStore(p),
      log,
    });
    return running;
  };
  const stop = async () => {
    await running?.close();
    running = null;
  };
  const ledger = async (): Promise<UsageEvent[]> => {
    const r = running ?? (await start());
    await r.wal.drain();
    return r.store.events({ limit: 1000 });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-otlp-restart-'));
    ledgerPath = join(dir, 'ledger.duckdb');
    // One port across the restart: the sender's exporter keeps its URL.
    otlpPort = await freePort();
  });
  afterEach(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  function meter(service: string, temporality: AggregationTemporalityPreference) {
    const exporter = new OTLPMetricExporter({
      url: `http://127.0.0.1:${otlpPort}/v1/metrics`,
      temporalityPreference: temporality,
    });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
    });
    return { provider, meter: provider.getMeter('usage') };
  }

  it("drops Claude Code's counters sent after the restart for a session whose api_request events came before", async () => {
    await start();
    const logs = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code' }),
      processors: [
        new SimpleLogRecordProcessor(new OTLPLogExporter({ url: `http://127.0.0.1:${otlpPort}/v1/logs` })),
      ],
    });
    for (let i = 0; i < 3; i++)
      logs.getLogger('com.anthropic.claude_code.events').emit({
        body: 'claude_code.api_request',
        attributes: {
          'event.name': 'api_request',
          'event.timestamp': new Date(Date.now() - 30_000 + i).toISOString(),
          'session.id': 'sess-across',
          model: SONNET,
          request_id: `req_${i}`,
          input_tokens: '100',
          output_tokens: '20',
        },
      });
    await logs.shutdown();
    await stop();

    // The same calls in Claude Code's counters, exported a minute later: to the server after its restart.
    await start();
    const { provider, meter: m } = meter('claude-code', AggregationTemporalityPreference.DELTA);
    const usage = m.createCounter('claude_code.token.usage');
    usage.add(300, { type: 'input', model: SONNET, 'session.id': 'sess-across' });
    usage.add(60, { type: 'output', model: SONNET, 'session.id': 'sess-across' });
    await provider.shutdown();

    expect(tokens(await ledger())).toMatchObject({ requests: 3, input: 300, output: 60 });
  });

  it('counts the use of a cumulative series between its last point before the restart and its first after', async () => {
    await start();
    const { provider, meter: m } = meter('cumulative-app', AggregationTemporalityPreference.CUMULATIVE);
    const hist = m.createHistogram('gen_ai.client.token.usage');
    hist.record(1000, { ...GENAI, 'gen_ai.token.type': 'input' });
    hist.record(100, { ...GENAI, 'gen_ai.token.type': 'output' });
    await provider.forceFlush();
    await stop();

    await start();
    hist.record(700, { ...GENAI, 'gen_ai.token.type': 'input' });
    hist.record(70, { ...GENAI, 'gen_ai.token.type': 'output' });
    await provider.forceFlush();
    await stop(); // and once more with nothing new: adds nothing
    await start();
    await provider.forceFlush();
    await provider.shutdown();

    expect(tokens(await ledger())).toMatchObject({ requests: 2, input: 1700, output: 170 });
  });

  // An SDK exports its first cumulative point a minute after the series began (its default interval): a series that
  // began before a restart and was first exported after it is new to this ledger, as the state file tells.
  it('counts the whole first point of a cumulative series that began before the restart and was first exported after', async () => {
    await start();
    const { provider: other, meter: om } = meter('other-app', AggregationTemporalityPreference.CUMULATIVE);
    om.createHistogram('gen_ai.client.token.usage').record(5, { ...GENAI, 'gen_ai.token.type': 'input' });
    await other.shutdown();
    const { provider, meter: m } = meter('late-app', AggregationTemporalityPreference.CUMULATIVE);
    const hist = m.createHistogram('gen_ai.client.token.usage');
    hist.record(1000, { ...GENAI, 'gen_ai.token.type': 'input' });
    hist.record(100, { ...GENAI, 'gen_ai.token.type': 'output' });
    await stop();

    await start();
    await provider.shutdown();
    expect(tokens(await ledger())).toMatchObject({ input: 1005, output: 100 });
  });

  it("keeps Claude Code's cumulative cost exact across the restart", async () => {
    await start();
    const { provider, meter: m } = meter('claude-code', AggregationTemporalityPreference.CUMULATIVE);
    const cost = m.createCounter('claude_code.cost.usage');
    cost.add(9264.2287, { model: SONNET, 'session.id': 'sess-cost' });
    await provider.forceFlush();
    await stop();

    await start();
    cost.add(0.00387797, { model: SONNET, 'session.id': 'sess-cost' });
    await provider.forceFlush();
    await provider.shutdown();

    const costs = (await ledger()).map((e) => e.provider_cost_usd ?? 0n).sort((a, b) => (a < b ? -1 : 1));
    expect(costs).toEqual([3_877_970_000n, 9_264_228_700_000_000n]);
  });

  it('skips and names a torn line of the state file, and keeps the lines around it', async () => {
    await start();
    const { provider, meter: m } = meter('torn-app', AggregationTemporalityPreference.CUMULATIVE);
    const hist = m.createHistogram('gen_ai.client.token.usage');
    hist.record(500, { ...GENAI, 'gen_ai.token.type': 'input' });
    await provider.forceFlush();
    await stop();
    const state = ingestJournalPath(ledgerPath);
    await appendFile(state, '["s","half a li');

    const lines: string[] = [];
    await start((line) => lines.push(line));
    hist.record(200, { ...GENAI, 'gen_ai.token.type': 'input' });
    await provider.forceFlush();
    await provider.shutdown();

    expect(tokens(await ledger()).input).toBe(700);
    expect(lines.filter((l) => l.includes('otlp-state'))).toEqual([
      `warning: 1 line(s) of ${state} could not be read and were skipped (line 5: not JSON)`,
    ]);
    // Started over from what was read: the torn line is gone from the file.
    expect(await readFile(state, 'utf8')).not.toContain('half a li');
  });
});
