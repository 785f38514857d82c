import { describe, expect, it } from 'vitest';
import { eventId } from '../../ledger/event-id.js';
import { DEFAULT_ATTRIBUTES } from './attribution.js';
import { mapTraces, spanEventId } from './genai-spans.js';

const kv = (key: string, v: string | number) => ({
  key,
  value: typeof v === 'string' ? { stringValue: v } : { intValue: String(v) },
});

function span(id: number, extra: ReturnType<typeof kv>[] = []) {
  return {
    traceId: 'ab'.repeat(16),
    spanId: id.toString(16).padStart(16, '0'),
    name: 'chat gpt-4o',
    startTimeUnixNano: '1767000000000000000',
    endTimeUnixNano: '1767000000800000000',
    attributes: [
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.request.model', 'gpt-4o'),
      kv('gen_ai.usage.input_tokens', 1000),
      kv('gen_ai.usage.output_tokens', 10),
      ...extra,
    ],
  };
}

describe('spanEventId', () => {
  it('is eventId("otlp", trace, span), also for ids eventId escapes', () => {
    expect(spanEventId('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331')).toBe(
      eventId('otlp', '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'),
    );
    expect(spanEventId('a|b', 'c\\d')).toBe(eventId('otlp', 'a|b', 'c\\d'));
    expect(spanEventId('a|b', 'c')).not.toBe(spanEventId('a', 'b|c'));
  });
});

describe('mapTraces', () => {
  it('attributes each span from its own resource, record attributes first', () => {
    const resource = (team: string) => ({
      attributes: [kv('team.id', team), kv('service.name', `svc-${team}`)],
    });
    const m = mapTraces(
      {
        resourceSpans: [
          {
            resource: resource('payments'),
            scopeSpans: [{ spans: [span(1), span(2, [kv('team.id', 'own')])] }],
          },
          { resource: resource('search'), scopeSpans: [{ spans: [span(3)] }] },
        ],
      },
      { ingestedAt: 1, attributes: DEFAULT_ATTRIBUTES },
    );
    expect(m.rejected).toEqual([]);
    expect(m.events.map((e) => [e.team, e.tags.service])).toEqual([
      ['payments', 'svc-payments'],
      ['own', 'svc-payments'],
      ['search', 'svc-search'],
    ]);
    expect(m.events[0]).toMatchObject({
      event_id: eventId('otlp', 'ab'.repeat(16), '0000000000000001'),
      ts: 1767000000000000,
      duration_ms: 800,
      input_tokens: 1000,
      output_tokens: 10,
    });
    expect([...new Set([...m.perRequest.values()].flat())]).toEqual(['app|svc-payments|', 'app|svc-search|']);
  });

  it('rejects a span whose token count is not a count, naming the key', () => {
    const m = mapTraces(
      {
        resourceSpans: [
          { scopeSpans: [{ spans: [span(1), span(2, [kv('gen_ai.usage.cache_read.input_tokens', 'x')])] }] },
        ],
      },
      { ingestedAt: 1, attributes: DEFAULT_ATTRIBUTES },
    );
    expect(m.events).toHaveLength(1);
    expect(m.rejected).toEqual([
      {
        ref: 'resourceSpans[0].scopeSpans[0].spans[1]',
        code: 'OTLP_BAD_SPAN',
        reason:
          'span 0000000000000002: gen_ai.usage.cache_read.input_tokens is "x", expected a whole number of tokens ≥ 0',
      },
    ]);
  });

  it('names the key whose count failed, not an empty one before it', () => {
    const bad = span(1, [kv('gen_ai.usage.input_tokens', ''), kv('gen_ai.usage.prompt_tokens', 'abc')]);
    const m = mapTraces(
      { resourceSpans: [{ scopeSpans: [{ spans: [bad] }] }] },
      { ingestedAt: 1, attributes: DEFAULT_ATTRIBUTES },
    );
    expect(m.rejected.map((r) => r.reason)).toEqual([
      'span 0000000000000001: gen_ai.usage.prompt_tokens is "abc", expected a whole number of tokens ≥ 0',
    ]);
  });

  // No semantic-convention attribute names a Gemini or Bedrock tier (only openai.response.service_tier exists);
  // instrumentations that record one for any provider use gen_ai.response.service_tier (LangSmith's OTel exporter
  // sets it from the response's service_tier), so a Gemini flex call is recorded, and priced, as flex.
  it('takes the served tier from gen_ai.response.service_tier for any provider', () => {
    const gemini = [
      kv('gen_ai.system', 'gcp.gemini'),
      kv('gen_ai.request.model', 'gemini-3.8-flash'),
      kv('gen_ai.response.service_tier', 'flex'),
    ];
    const openai = [
      kv('gen_ai.system', 'openai'),
      kv('gen_ai.openai.response.service_tier', 'priority'),
      kv('gen_ai.response.service_tier', 'default'),
    ];
    const m = mapTraces(
      { resourceSpans: [{ scopeSpans: [{ spans: [span(1, gemini), span(2, openai)] }] }] },
      { ingestedAt: 1, attributes: DEFAULT_ATTRIBUTES },
    );
    expect(m.events.map((e) => [e.provider, e.service_tier])).toEqual([
      ['google', 'flex'],
      ['openai', 'priority'],
    ]);
  });
});

describe("coding agents' own spans", () => {
  // Each of these repeats the usage of a per-request log event the agent also sends (agent-logs.ts); counting the
  // span as well would count the call twice when traces and logs both come here.
  const agentSpan = (id: number, name: string, attributes: ReturnType<typeof kv>[]) => ({
    ...span(id),
    name,
    attributes,
  });
  it('are not calls', () => {
    const m = mapTraces(
      {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  // openai/codex codex-rs/otel/src/events/session_telemetry.rs, record_responses: the usage of a
                  // completed response on Codex's `handle_responses` span (otel.name `completed`); no model, no
                  // operation. The same response is the codex.sse_event response.completed log record.
                  agentSpan(1, 'completed', [
                    kv('gen_ai.usage.input_tokens', 5000),
                    kv('gen_ai.usage.cache_read.input_tokens', 4000),
                    kv('gen_ai.usage.output_tokens', 300),
                    kv('codex.usage.reasoning_output_tokens', 200),
                    kv('codex.usage.total_tokens', 5300),
                  ]),
                  // google-gemini/gemini-cli packages/core/src/telemetry/constants.ts: GeminiCliOperation.LLMCall
                  // `llm_call`, with gen_ai.request.model and gen_ai.usage.* (docs/cli/telemetry.md, Traces); the same
                  // call is the gemini_cli.api_response log event.
                  agentSpan(2, 'llm_call', [
                    kv('gen_ai.operation.name', 'llm_call'),
                    kv('gen_ai.agent.name', 'gemini-cli'),
                    kv('gen_ai.request.model', 'gemini-2.5-pro'),
                    kv('gen_ai.usage.input_tokens', 2000),
                    kv('gen_ai.usage.output_tokens', 100),
                  ]),
                  // Claude Code's beta traces, `claude_code.llm_request`, as third-party captures of 2.1.x exports
                  // show it (Anthropic's monitoring page does not list span attributes): the api_request log
                  // event's counts without the gen_ai.usage prefix.
                  agentSpan(3, 'claude_code.llm_request', [
                    kv('span.type', 'llm_request'),
                    kv('gen_ai.system', 'anthropic'),
                    kv('gen_ai.request.model', 'claude-opus-4-6'),
                    kv('model', 'claude-opus-4-6'),
                    kv('input_tokens', 3),
                    kv('output_tokens', 13),
                    kv('cache_read_tokens', 11229),
                    kv('cache_creation_tokens', 4797),
                  ]),
                ],
              },
            ],
          },
        ],
      },
      { ingestedAt: 1, attributes: DEFAULT_ATTRIBUTES },
    );
    expect([m.events, m.rejected, m.ignored]).toEqual([[], [], 3]);
  });
});
