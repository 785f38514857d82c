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
});
