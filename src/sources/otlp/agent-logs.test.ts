import { describe, expect, it } from 'vitest';
import { createOtlpIngest } from './ingest.js';
import type { ExportLogsRequest } from './otlp-types.js';

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** A Claude Code api_request as it sends it: `event.name` without the prefix, the full name in the body. */
const apiRequest = (serviceName: string, extra: ReturnType<typeof kv>[] = []): ExportLogsRequest =>
  ({
    resourceLogs: [
      {
        resource: { attributes: [kv('service.name', serviceName), kv('team.id', 'payments')] },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: '1764000000000000000',
                body: { stringValue: 'claude_code.api_request' },
                attributes: [
                  kv('event.name', 'api_request'),
                  kv('session.id', 's-1'),
                  kv('request_id', 'req_1'),
                  kv('model', 'claude-sonnet-4-5-20250929'),
                  kv('input_tokens', '10'),
                  kv('output_tokens', '5'),
                  kv('cache_read_tokens', '0'),
                  kv('cache_creation_tokens', '0'),
                  ...extra,
                ],
              },
            ],
          },
        ],
      },
    ],
  }) as unknown as ExportLogsRequest;

describe('Claude Code api_request events', () => {
  it.each(['claude-code', 'claude-code-payments'])('are recorded when the service is named %s', (service) => {
    const m = createOtlpIngest({ since: 0 }).logs(apiRequest(service), 0);
    expect(m.events.map((e) => [e.agent, e.input_tokens, e.output_tokens, e.team])).toEqual([
      ['claude-code', 10, 5, 'payments'],
    ]);
  });

  // Claude Code's api_request carries `speed` (fast mode); the call is billed at fast-mode prices.
  it('record a call made in fast mode in the service tier that prices it', () => {
    const [fast] = createOtlpIngest({ since: 0 }).logs(
      apiRequest('claude-code', [kv('speed', 'fast')]),
      0,
    ).events;
    const [normal] = createOtlpIngest({ since: 0 }).logs(
      apiRequest('claude-code', [kv('speed', 'normal')]),
      0,
    ).events;
    expect([fast?.service_tier, normal?.service_tier]).toEqual(['fast', null]);
  });

  // Claude Code sends every attribute as a string: a cost is read from its text, not through a JS number.
  it('keep a reported cost sent as text exact to its last digit', () => {
    const cost = (usd: string) =>
      createOtlpIngest({ since: 0 }).logs(apiRequest('claude-code', [kv('cost_usd', usd)]), 0).events[0]
        ?.provider_cost_usd;
    expect(cost('98765432.109876543210')).toBe(98_765_432_109_876_543_210n);
    expect(cost('0.0123')).toBe(12_300_000_000n);
    expect(cost('-1')).toBeNull();
    expect(cost('lots')).toBeNull();
  });
});

/** One Codex `codex.sse_event` log record, with the metadata every Codex event carries (events/shared/log.rs). */
const codexEvent = (extra: ReturnType<typeof kv>[]) => ({
  timeUnixNano: '1764000000000000000',
  attributes: [
    kv('event.name', 'codex.sse_event'),
    kv('event.kind', 'response.completed'),
    kv('event.timestamp', '2025-11-24T16:00:00.000Z'),
    kv('conversation.id', 'c-1'),
    kv('model', 'gpt-5-codex'),
    kv('slug', 'gpt-5-codex'),
    ...extra,
  ],
});

const codexLogs = (records: ReturnType<typeof codexEvent>[]): ExportLogsRequest =>
  ({
    resourceLogs: [
      { resource: { attributes: [kv('service.name', 'codex_exec')] }, scopeLogs: [{ logRecords: records }] },
    ],
  }) as unknown as ExportLogsRequest;

describe('Codex response.completed events', () => {
  // openai/codex codex-rs/core/src/client.rs: ApiTelemetry::on_sse_poll logs every SSE event it reads
  // (SessionTelemetry::log_sse_event in codex-rs/otel/src/events/session_telemetry.rs), the `response.completed` one
  // too, as `codex.sse_event` with event.kind and duration_ms only. The usage comes in a second record with the same
  // name and kind, from map_response_stream → sse_event_completed; and a stream that fails logs a third,
  // see_event_completed_failed, with error.message and no counts. One API response, one request.
  it('count one request per response: the records without token counts are not calls', () => {
    const m = createOtlpIngest({ since: 0 }).logs(
      codexLogs([
        codexEvent([kv('duration_ms', '0')]),
        codexEvent([
          kv('input_token_count', '5000'),
          kv('output_token_count', '300'),
          kv('cached_token_count', '4000'),
          kv('reasoning_token_count', '200'),
          // The last argument of sse_event_completed, named tool_token_count, is given usage.total_tokens.
          kv('tool_token_count', '5300'),
        ]),
        codexEvent([kv('error.message', 'stream disconnected before completion')]),
      ]),
      0,
    );
    expect(m.rejected).toEqual([]);
    expect(
      m.events.map((e) => [
        e.requests,
        e.input_tokens,
        e.cache_read_tokens,
        e.output_tokens,
        e.reasoning_tokens,
      ]),
    ).toEqual([[1, 1000, 4000, 300, 200]]);
    expect(m.ignored).toBe(2);
  });

  // Newer Codex (codex-rs/otel/src/events/session_telemetry.rs, sse_event_completed with a TokenUsage) adds
  // cache_write_token_count (usage.cache_write_input_tokens: a part of input, like cached_token_count; the rollout
  // importer reads the same field) and service_tier, the request's tier bounded to priority / flex / default / other
  // (codex-rs/otel bounded_service_tier_category: Codex's `fast` is sent as priority).
  it('take cache writes out of input and price the call in the service tier it names', () => {
    const m = createOtlpIngest({ since: 0 }).logs(
      codexLogs([
        codexEvent([
          kv('input_token_count', '5000'),
          kv('output_token_count', '300'),
          kv('cached_token_count', '3000'),
          kv('cache_write_token_count', '1500'),
          kv('reasoning_token_count', '0'),
          kv('service_tier', 'priority'),
        ]),
        codexEvent([
          kv('input_token_count', '10'),
          kv('output_token_count', '1'),
          kv('service_tier', 'other'),
        ]),
      ]),
      0,
    );
    expect(m.rejected).toEqual([]);
    expect(
      m.events.map((e) => [
        e.input_tokens,
        e.cache_read_tokens,
        e.cache_write_5m_tokens,
        e.output_tokens,
        e.service_tier,
      ]),
    ).toEqual([
      [500, 3000, 1500, 300, 'priority'],
      [10, 0, 0, 1, null],
    ]);
  });
});

describe('Gemini CLI api_response events', () => {
  // google-gemini/gemini-cli packages/core/src/telemetry/types.ts, ApiResponseEvent: each response is logged twice,
  // as gemini_cli.api_response (toLogRecord) and as the GenAI semconv event gen_ai.client.inference.operation.details
  // (toSemanticLogRecord) with gen_ai.usage.input_tokens / output_tokens of the same call.
  it('are the call; the GenAI operation-details event logged beside each is not a second one', () => {
    const common = [kv('session.id', 'g-1'), kv('event.timestamp', '2025-11-24T16:00:00.000Z')];
    const m = createOtlpIngest({ since: 0 }).logs(
      {
        resourceLogs: [
          {
            resource: { attributes: [kv('service.name', 'gemini-cli')] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: '1764000000000000000',
                    body: { stringValue: 'API response from gemini-2.5-pro. Status: 200. Duration: 900ms.' },
                    attributes: [
                      ...common,
                      kv('event.name', 'gemini_cli.api_response'),
                      kv('model', 'gemini-2.5-pro'),
                      kv('prompt_id', 'p-1'),
                      kv('role', 'main'),
                      kv('input_token_count', '2000'),
                      kv('output_token_count', '100'),
                      kv('cached_content_token_count', '500'),
                      kv('thoughts_token_count', '40'),
                      kv('tool_token_count', '0'),
                      kv('total_token_count', '2140'),
                      kv('status_code', '200'),
                    ],
                  },
                  {
                    timeUnixNano: '1764000000000000000',
                    body: {
                      stringValue:
                        'GenAI operation details from gemini-2.5-pro. Status: 200. Duration: 900ms.',
                    },
                    attributes: [
                      ...common,
                      kv('event.name', 'gen_ai.client.inference.operation.details'),
                      kv('gen_ai.operation.name', 'generate_content'),
                      kv('gen_ai.provider.name', 'gcp.gen_ai'),
                      kv('gen_ai.request.model', 'gemini-2.5-pro'),
                      kv('gen_ai.usage.input_tokens', '2000'),
                      kv('gen_ai.usage.output_tokens', '100'),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      } as unknown as ExportLogsRequest,
      0,
    );
    expect(m.events.map((e) => [e.agent, e.input_tokens, e.cache_read_tokens, e.output_tokens])).toEqual([
      ['gemini-cli', 1500, 500, 140],
    ]);
    expect([m.rejected, m.ignored]).toEqual([[], 1]);
  });
});
