import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, tokens } from './harness.js';

// Issue 5: coding-agent telemetry as the agents send it (log events), through the real SDK exporters.
describe.each([
  ['HTTP json', (h: Harness) => new JsonLogExporter({ url: `${h.url}/v1/logs` })],
  ['HTTP protobuf', (h: Harness) => new ProtoLogExporter({ url: `${h.url}/v1/logs` })],
  ['gRPC', (h: Harness) => new GrpcLogExporter({ url: h.grpcUrl })],
])('agent log events over OTLP/%s', (name, exporter) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('records Claude Code api_request, Codex response.completed and Gemini CLI api_response with exact tokens', async () => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code', 'team.id': 'platform' }),
      processors: [new SimpleLogRecordProcessor(exporter(h))],
    });
    const log = provider.getLogger('com.anthropic.claude_code.events');
    for (let i = 0; i < 5; i++)
      log.emit({
        body: 'claude_code.api_request',
        attributes: {
          'event.name': 'api_request',
          'event.timestamp': new Date(Date.UTC(2026, 0, 5, 10, 0, i)).toISOString(),
          'session.id': 'sess-1',
          'user.email': 'bo@example.com',
          'organization.id': 'org-1',
          model: 'claude-sonnet-4-20250514',
          request_id: `req_${name}_${i}`,
          // Claude Code sends numbers as strings.
          input_tokens: String(100 + i),
          output_tokens: String(20 + i),
          cache_read_tokens: '1000',
          cache_creation_tokens: '50',
          cost_usd: '0.0123',
          cost_usd_micros: 12300,
          duration_ms: '1500',
          query_source: 'repl_main_thread',
        },
      });
    // Not usage: ignored, not rejected.
    log.emit({
      body: 'claude_code.tool_result',
      attributes: { 'event.name': 'tool_result', tool_name: 'Read' },
    });
    log.emit({
      body: 'codex.sse_event',
      attributes: {
        'event.name': 'codex.sse_event',
        'event.kind': 'response.completed',
        'conversation.id': 'c-1',
        model: 'gpt-5',
        input_token_count: 5000,
        cached_token_count: 4000,
        output_token_count: 300,
        reasoning_token_count: 200,
      },
    });
    log.emit({
      attributes: {
        'event.name': 'gemini_cli.api_response',
        'session.id': 'g-1',
        prompt_id: 'p1',
        model: 'gemini-2.5-pro',
        input_token_count: 2000,
        cached_content_token_count: 500,
        output_token_count: 100,
        thoughts_token_count: 40,
        tool_token_count: 10,
        duration_ms: 900,
      },
    });
    // A bad record: partially accepted, the rest of the batch still lands.
    log.emit({
      body: 'claude_code.api_request',
      attributes: { model: 'claude-sonnet-4-20250514', input_tokens: 'lots' },
    });
    await provider.shutdown();

    const events = await h.ledger();
    const claude = events.filter((e) => e.agent === 'claude-code');
    expect(claude).toHaveLength(5);
    expect(tokens(claude)).toEqual({
      requests: 5,
      input: 510,
      cache_read: 5000,
      cache_write: 250,
      output: 110,
      reasoning: 0,
    });
    expect(claude[0]).toMatchObject({
      team: 'platform',
      user: 'bo@example.com',
      org: 'org-1',
      session_id: 'sess-1',
      provider: 'anthropic',
      duration_ms: 1500,
      provider_cost_usd: 12_300_000_000n,
    });
    expect(claude[0]!.tags.query_source).toBe('repl_main_thread');
    const codex = events.filter((e) => e.agent === 'codex');
    expect(tokens(codex)).toEqual({
      requests: 1,
      input: 1000,
      cache_read: 4000,
      cache_write: 0,
      output: 300,
      reasoning: 200,
    });
    const gemini = events.filter((e) => e.agent === 'gemini-cli');
    // Gemini: cached is inside input; thoughts beside output; tool-use prompt tokens beside input.
    expect(tokens(gemini)).toEqual({
      requests: 1,
      input: 1510,
      cache_read: 500,
      cache_write: 0,
      output: 140,
      reasoning: 40,
    });
    expect(events).toHaveLength(7);
  });

  // A record with no timeUnixNano (0: not set) is timed by its event.timestamp, else by when the SDK observed it:
  // an event.timestamp that is no date leaves the observed time, not a rejection.
  it('times a record without timeUnixNano whose event.timestamp is no date by its observedTimeUnixNano', async () => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code' }),
      processors: [new SimpleLogRecordProcessor(exporter(h))],
    });
    const observed = Date.UTC(2026, 0, 6, 8, 30, 15, 250);
    provider.getLogger('com.anthropic.claude_code.events').emit({
      // HrTime [0, 0]: the SDK sends it as is (a plain 0 would be read as its time origin).
      timestamp: [0, 0],
      observedTimestamp: new Date(observed),
      body: 'claude_code.api_request',
      attributes: {
        'event.timestamp': 'not a time',
        model: 'claude-sonnet-4-20250514',
        request_id: `req_observed_${name}`,
        input_tokens: '100',
        output_tokens: '20',
      },
    });
    await provider.shutdown();

    const e = (await h.ledger()).find((x) => x.source_ref === `claude_code.api_request req_observed_${name}`);
    expect(e?.ts).toBe(observed * 1000);
    expect(e).toMatchObject({ input_tokens: 100, output_tokens: 20 });
  });
});
