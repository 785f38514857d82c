import type { UnpricedEvent, Usage } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { anthropicServiceTier } from '../../pricing/anthropic-tier.js';
import { attributionOf } from './attribution.js';
import { agentKey, spanKey } from './dedupe.js';
import { emptyMapped, type MapContext, type Mapped } from './mapped.js';
import type { ExportLogsRequest, LogRecord } from './otlp-types.js';
import { usageOf } from './tokens.js';
import { type Attrs, anyValue, attrs, count, nanosToMicros, num, str, strOf, usdAttr } from './values.js';

/** What one agent's per-request log event says, read from its attributes. */
interface AgentCall {
  agent: string;
  provider: string;
  usage: Usage;
  /** The agent's own identity of the call: the same record exported twice gives the same parts. */
  idParts: (string | number | null)[];
  ref: string;
  operation: string;
  providerCost: bigint | null;
  failed: string | null;
  /** The service tier the agent reports the call billed in, or null (standard). */
  serviceTier: string | null;
}

type Reader = (a: Attrs) => AgentCall | string;

const tokens = (a: Attrs, keys: string[]): Record<string, number> | string => {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const v = count(a, k);
    if (Number.isNaN(v)) return `${k} is ${JSON.stringify(a.get(k))}, expected a whole number of tokens ≥ 0`;
    out[k] = v ?? 0;
  }
  return out;
};

/**
 * Claude Code `claude_code.api_request` (docs: code.claude.com monitoring-usage). Anthropic counts: input_tokens
 * excludes cache reads and writes already. `cost_usd_micros` is exact; `cost_usd` is the float the agent computed.
 * `speed: fast` (Claude Code's fast mode) is billed at the fast-mode prices.
 */
const claudeCode: Reader = (a) => {
  const t = tokens(a, ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens']);
  if (typeof t === 'string') return t;
  const micros = count(a, 'cost_usd_micros');
  const usd = usdAttr(a, 'cost_usd');
  const requestId = str(a, 'request_id');
  return {
    agent: 'claude-code',
    provider: 'anthropic',
    usage: {
      requests: 1,
      input_tokens: t.input_tokens!,
      cache_read_tokens: t.cache_read_tokens!,
      cache_write_5m_tokens: t.cache_creation_tokens!,
      cache_write_1h_tokens: 0,
      output_tokens: t.output_tokens!,
      reasoning_tokens: 0,
      web_search_requests: 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      input_image_tokens: 0,
      output_image_tokens: 0,
      audio_ms: 0,
    },
    idParts:
      requestId !== null
        ? [requestId]
        : [str(a, 'session.id'), str(a, 'event.timestamp'), str(a, 'event.sequence')],
    ref: requestId !== null ? `claude_code.api_request ${requestId}` : 'claude_code.api_request',
    operation: 'messages',
    providerCost: micros !== null && !Number.isNaN(micros) ? BigInt(micros) * 1_000_000n : usd,
    failed: null,
    serviceTier: anthropicServiceTier(null, str(a, 'speed')),
  };
};

/**
 * Codex `codex.sse_event` with `event.kind = response.completed` and token counts: OpenAI counts, cached reads and
 * (newer Codex) `cache_write_token_count` inside input, reasoning inside output. `tool_token_count` is not read: Codex
 * passes the response's total_tokens in it (codex-rs/core/src/client.rs, map_response_stream). Newer Codex also sends
 * the request's `service_tier`, bounded to priority / flex / default / other (codex-rs/otel
 * bounded_service_tier_category; its `fast` mode is priority).
 */
const codex: Reader = (a) => {
  const t = tokens(a, [
    'input_token_count',
    'output_token_count',
    'cached_token_count',
    'cache_write_token_count',
    'reasoning_token_count',
  ]);
  if (typeof t === 'string') return t;
  return {
    agent: 'codex',
    provider: 'openai',
    usage: usageOf({
      totalInput: t.input_token_count!,
      cacheRead: t.cached_token_count!,
      cacheWrite: t.cache_write_token_count!,
      output: t.output_token_count!,
      reasoning: t.reasoning_token_count!,
    }),
    idParts: [
      str(a, 'conversation.id'),
      str(a, 'event.timestamp'),
      t.input_token_count!,
      t.output_token_count!,
    ],
    ref: `codex.sse_event response.completed ${str(a, 'conversation.id') ?? ''}`.trim(),
    operation: 'responses',
    providerCost: null,
    failed: null,
    serviceTier: codexTier(str(a, 'service_tier')),
  };
};

const codexTier = (tier: string | null): string | null => (tier === null || tier === 'other' ? null : tier);

/**
 * Gemini CLI `gemini_cli.api_response`: Gemini counts — cached content is inside input; thoughts and tool-use
 * prompt tokens are beside output and input, so they are added.
 */
const geminiCli: Reader = (a) => {
  const t = tokens(a, [
    'input_token_count',
    'output_token_count',
    'cached_content_token_count',
    'thoughts_token_count',
    'tool_token_count',
  ]);
  if (typeof t === 'string') return t;
  const u = usageOf({
    totalInput: t.input_token_count!,
    cacheRead: t.cached_content_token_count!,
    cacheWrite: 0,
    output: t.output_token_count!,
    reasoning: t.thoughts_token_count!,
    reasoningSeparate: true,
  });
  u.input_tokens += t.tool_token_count!;
  const error = str(a, 'error');
  const status = num(a, 'status_code');
  return {
    agent: 'gemini-cli',
    provider: 'google',
    usage: u,
    idParts: [str(a, 'session.id'), str(a, 'prompt_id'), str(a, 'event.timestamp')],
    ref: `gemini_cli.api_response ${str(a, 'prompt_id') ?? ''}`.trim(),
    operation: 'generate_content',
    providerCost: null,
    failed: error ?? (status !== null && status >= 400 ? `http_${status}` : null),
    serviceTier: null,
  };
};

/** The event name a record carries: LogRecord.event_name (OTLP 1.5+), the `event.name` attribute, or the body. */
function eventName(r: LogRecord, a: Attrs, resource: Attrs): string | null {
  const body = r.body ? anyValue(r.body) : null;
  const name = r.eventName || str(a, 'event.name') || (typeof body === 'string' ? body : null);
  if (name === null || name.includes('.')) return name;
  // Claude Code's `event.name` attribute drops the prefix that its body and docs use. The body keeps it even when a
  // company renames the service (OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES).
  if (typeof body === 'string' && body.endsWith(`.${name}`)) return body;
  if (str(resource, 'service.name') === 'claude-code') return `claude_code.${name}`;
  return name;
}

function readerFor(name: string | null, a: Attrs): Reader | null {
  if (name === 'claude_code.api_request') return claudeCode;
  if (name === 'gemini_cli.api_response') return geminiCli;
  // Codex logs every SSE event it reads as codex.sse_event, `response.completed` included, with its duration only; the
  // usage of that response comes in a second record of the same name and kind, and a failed stream in a third with
  // error.message (openai/codex codex-rs/otel/src/events/session_telemetry.rs: log_sse_event, sse_event_completed,
  // see_event_completed_failed). Only the record with the counts is the call.
  if (
    name === 'codex.sse_event' &&
    str(a, 'event.kind') === 'response.completed' &&
    a.has('input_token_count')
  )
    return codex;
  return null;
}

/** Agent log events → one event per API request; every other log record is ignored. */
export function mapLogs(req: ExportLogsRequest, ctx: MapContext): Mapped {
  const out = emptyMapped();
  (req.resourceLogs ?? []).forEach((rl, i) => {
    const resource = attrs(rl.resource?.attributes);
    (rl.scopeLogs ?? []).forEach((sl, j) => {
      (sl.logRecords ?? []).forEach((r, k) => {
        const ref = `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`;
        const a = attrs(r.attributes);
        const name = eventName(r, a, resource);
        const read = readerFor(name, a);
        if (read === null) {
          out.ignored++;
          return;
        }
        const e = logEvent(r, a, resource, read, ctx);
        if (typeof e === 'string')
          out.rejected.push({ ref, code: 'OTLP_BAD_LOG_RECORD', reason: `${name}: ${e}` });
        else {
          out.events.push(e.event);
          // Keyed by the agent that sent it, as its counters are (metrics.ts), not by the event's `agent`, which an
          // attribute of the record or its resource (gen_ai.agent.name, a configured key) may name otherwise.
          // The same calls can come again as GenAI metrics from the agent's own resource: Gemini CLI records
          // gen_ai.client.token.usage beside each api_response event.
          out.perRequest.set(e.event, [agentKey(e.agent, a, resource), spanKey(resource)]);
        }
      });
    });
  });
  return out;
}

/** The agent's `event.timestamp` in epoch µs; null when absent or not a date, so the next clock is read instead. */
function stampMicros(a: Attrs): number | null {
  const stamp = str(a, 'event.timestamp');
  const ms = stamp === null ? Number.NaN : Date.parse(stamp);
  return Number.isNaN(ms) ? null : ms * 1000;
}

function logEvent(
  r: LogRecord,
  a: Attrs,
  resource: Attrs,
  read: Reader,
  ctx: MapContext,
): { event: UnpricedEvent; agent: string } | string {
  const model = str(a, 'model');
  if (model === null) return 'no model attribute; the call cannot be priced';
  const call = read(a);
  if (typeof call === 'string') return call;
  const ts = nanosToMicros(r.timeUnixNano) ?? stampMicros(a) ?? nanosToMicros(r.observedTimeUnixNano);
  if (ts === null) return 'no timeUnixNano, event.timestamp or observedTimeUnixNano';
  const attribution = attributionOf(a, resource, ctx.attributes);
  attribution.agent ??= call.agent;
  const duration = num(a, 'duration_ms');
  const event: UnpricedEvent = {
    event_id: eventId(
      'otlp',
      call.agent,
      ...call.idParts.map((p) => p ?? ''),
      call.idParts.every((p) => p === null) ? ts : null,
    ),
    source: 'otlp',
    source_ref: call.ref,
    ingested_at: ctx.ingestedAt,
    ts,
    duration_ms: duration !== null ? Math.round(duration) : null,
    ttft_ms: null,
    ...attribution,
    provider: strOf(a, 'gen_ai.provider.name') ?? call.provider,
    model,
    model_requested: model,
    operation: call.operation,
    service_tier: call.serviceTier,
    route_id: null,
    ...call.usage,
    energy_j: null,
    energy_source: null,
    status: call.failed !== null ? 'error' : 'ok',
    error_type: call.failed,
    provider_cost_usd: call.providerCost,
    given_cost: null,
  };
  return { event, agent: call.agent };
}
