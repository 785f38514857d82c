import { hash } from 'node:crypto';
import { totalTokens, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { attributionOf } from './attribution.js';
import {
  buildTree,
  type Call,
  isStored,
  type Link,
  mayNest,
  remember,
  resolveCalls,
  type TreeNode,
} from './call-tree.js';
import { spanKey } from './dedupe.js';
import { emptyMapped, type MapContext, type Mapped } from './mapped.js';
import type { ExportTraceRequest, Span } from './otlp-types.js';
import type { SpanHistory } from './span-history.js';
import { providerId, usageOf } from './tokens.js';
import { type Attrs, attrs, count, hexId, nanosToMicros, str, strOf, usdAttr } from './values.js';

/** `gen_ai.operation.name` values that are one model call each (GenAI semconv, gen-ai-spans.md). */
const INFERENCE = new Set(['chat', 'text_completion', 'generate_content', 'embeddings', 'responses']);
/** Spans that wrap inference spans and name who made them. */
const WRAPPERS = new Set(['invoke_agent', 'create_agent', 'execute_tool', 'invoke_workflow']);
/**
 * Traceloop/OpenLLMetry's wrapping spans: `traceloop.span.kind` workflow / task / agent / tool with the decorated
 * function's name in `traceloop.entity.name` (traceloop-sdk decorators/base.py, langchain/callback_handler.py).
 */
const TRACELOOP_WRAPPERS = new Set(['workflow', 'task', 'agent', 'tool']);
/**
 * LangSmith's OpenTelemetry export names every run's operation from its run type (langsmith _otel_exporter.py
 * WELL_KNOWN_OPERATION_NAMES): `retriever` becomes `embeddings` and `prompt` (a prompt template) becomes `chat`,
 * though neither calls a model. Without a model they are not calls, not broken ones.
 */
const LANGSMITH_NOT_MODEL_CALLS = new Set(['retriever', 'prompt']);
/**
 * Traceloop instrumentations name the call type in `llm.request.type` (semconv_ai LLMRequestTypeValues), not in
 * `gen_ai.operation.name`; mapped to the GenAI operation names.
 */
const LLM_REQUEST_TYPES: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
};

/**
 * Usage attributes and their older spellings; the first present wins. The Vercel AI SDK puts only input and output
 * in gen_ai.usage.*; the parts are in its own ai.usage.* attributes on the same span (v6: inputTokenDetails /
 * outputTokenDetails, input including both cache parts; v5: cachedInputTokens, reasoningTokens).
 */
const K = {
  input: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  output: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cacheRead: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
  ],
  cacheWrite: [
    'gen_ai.usage.cache_write.input_tokens',
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    // Strands Agents (telemetry/tracer.py, from Bedrock's cacheWriteInputTokens).
    'gen_ai.usage.cache_write_input_tokens',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  ],
  reasoning: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'ai.usage.outputTokenDetails.reasoningTokens',
    'ai.usage.reasoningTokens',
  ],
} as const;

/**
 * OpenInference (Arize Phoenix) usage attributes, read only on its LLM and EMBEDDING spans that carry no gen_ai.*
 * usage (spec/semantic_conventions.md, Token Count Details). `prompt` includes its prompt_details.* parts and
 * reasoning is a part of `completion`; `cache_input` is what some openai instrumentor releases write for OpenAI's
 * cached_tokens. Same shape as K, so the NaN check below names the key read.
 */
const OI = {
  input: ['llm.token_count.prompt'],
  output: ['llm.token_count.completion'],
  cacheRead: ['llm.token_count.prompt_details.cache_read', 'llm.token_count.prompt_details.cache_input'],
  cacheWrite: ['llm.token_count.prompt_details.cache_write'],
  reasoning: ['llm.token_count.completion_details.reasoning'],
} as const;
/** `openinference.span.kind` values that are one model call each, as GenAI operation names. */
const OI_CALLS: Record<string, string> = { LLM: 'chat', EMBEDDING: 'embeddings' };

/**
 * GenAI spans → one event per model call. `invoke_agent`, `execute_tool` and `invoke_workflow` spans are not
 * usage; they attribute the inference spans under them (same trace, found through parent ids, through any span in
 * between) to an agent and a task. An inference span with another inside it is not a call: two instrumentations of
 * one call (a framework's and the provider client's) each export one, and the innermost is the call (call-tree.ts).
 * Event ids are (trace id, span id), so a retried export is stored once.
 *
 * With `history`, the spans of earlier requests count too: a call whose wrapper came earlier is attributed at
 * once, a wrapper (or a span linking to one) that comes later gives `patches` for the calls stored before it
 * without agent or task, and an inference span around a call stored earlier is not a call (span-history.ts bounds
 * how long and how many).
 */
export function mapTraces(req: ExportTraceRequest, ctx: MapContext, history?: SpanHistory): Mapped {
  const out = emptyMapped();
  const rss = req.resourceSpans ?? [];
  const now = ctx.ingestedAt;
  const gen = history?.next() ?? 0;
  /** The request's wrappers by `traceId/spanId`; the tree of its spans once a walk needs one (call-tree.ts). */
  const tree = new Map<string, TreeNode>();
  const wrappers: [string, string, TreeNode][] = [];
  const links: Link[] = [];
  const calls: Call[] = [];
  for (let i = 0; i < rss.length; i++) {
    const rs = rss[i]!;
    const resource = attrs(rs.resource?.attributes);
    const key = spanKey(resource);
    const sss = rs.scopeSpans ?? [];
    for (let j = 0; j < sss.length; j++) {
      const spans = sss[j]!.spans ?? [];
      for (let k = 0; k < spans.length; k++) {
        const s = spans[k]!;
        const a = attrs(s.attributes);
        const traceId = hexId(s.traceId);
        const spanId = hexId(s.spanId);
        const parent = hexId(s.parentSpanId);
        const r = spanEvent(s, a, resource, ctx, traceId, spanId);
        let call: Call | null = null;
        if (r === null) out.ignored++;
        else {
          const rejected = typeof r === 'string';
          call = {
            traceId: traceId ?? '',
            spanId: spanId ?? '',
            parent,
            event: rejected ? null : r,
            rejection: rejected
              ? { ref: `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`, code: 'OTLP_BAD_SPAN', reason: r }
              : null,
            key,
            workflow: rejected ? null : str(a, 'traceloop.workflow.name'),
            usage: !rejected && totalTokens(r) > 0,
            outer: false,
            covered: false,
            over: null,
          };
          calls.push(call);
        }
        if (traceId === null || spanId === null) continue;
        const w = wrapperOf(s, a, parent);
        if (w !== null) {
          tree.set(`${traceId}/${spanId}`, w);
          if (history) wrappers.push([traceId, spanId, w]);
        } else if (call === null && parent !== null) links.push([traceId, spanId, parent]);
      }
    }
  }
  // Frameworks nest the model call below spans that are not wrappers (Strands: invoke_agent →
  // execute_event_loop_cycle → chat), and below another instrumentation's inference span. A request whose calls are
  // all roots of traces the history does not know (the bulk of a busy app's exports) builds no tree.
  if (mayNest(calls, history)) {
    buildTree(tree, links, calls);
    resolveCalls(calls, tree, history, now);
  }
  for (const c of calls) {
    const e = c.event;
    if (e === null) {
      if (c.outer) out.ignored++;
      else out.rejected.push(c.rejection!);
    } else if (!isStored(c)) out.ignored++;
    else {
      // Traceloop stamps the enclosing @workflow / @agent name on every span under it, so the task is known even
      // when the wrapping span is in another export.
      e.task_id ??= c.workflow;
      out.events.push(e);
      out.perRequest.set(e, [c.key]);
    }
  }
  if (history) out.patches = remember(history, now, gen, wrappers, links, calls);
  return out;
}

/**
 * A span that names who made the calls under it: GenAI `invoke_agent`, `execute_tool`, `invoke_workflow`;
 * Traceloop's workflow / task / agent / tool spans; OpenInference AGENT spans. Null for any other span.
 */
function wrapperOf(s: Span, a: Attrs, parent: string | null): TreeNode | null {
  const op = str(a, 'gen_ai.operation.name');
  if (op !== null)
    return WRAPPERS.has(op)
      ? {
          parent,
          agent: strOf(a, 'gen_ai.agent.name', 'gen_ai.agent.id'),
          workflow: op === 'invoke_workflow' ? (str(a, 'gen_ai.workflow.name') ?? s.name ?? null) : null,
          call: null,
        }
      : null;
  const kind = str(a, 'traceloop.span.kind');
  if (kind !== null) {
    if (!TRACELOOP_WRAPPERS.has(kind)) return null;
    const entity = str(a, 'traceloop.entity.name');
    return {
      parent,
      agent: kind === 'agent' ? entity : null,
      workflow: kind === 'workflow' ? entity : null,
      call: null,
    };
  }
  // OpenInference AGENT spans name their agent in agent.name or, openai-agents, in the span name. CHAIN and TOOL
  // spans are plain links: LangChain makes a CHAIN of every runnable, so the nearest is no task.
  if (a.get('openinference.span.kind') === 'AGENT')
    return { parent, agent: str(a, 'agent.name') ?? s.name ?? null, workflow: null, call: null };
  return null;
}

/**
 * The Vercel AI SDK's embedding calls, `ai.embed.doEmbed` and `ai.embedMany.doEmbed` (one per provider call), carry
 * no gen_ai.* attribute: model in ai.model.id, provider in ai.model.provider, tokens in ai.usage.tokens, the span
 * kind in `operation.name` (followed by the telemetry functionId when one is set). The outer ai.embed / ai.embedMany
 * span repeats the sum of its calls and is not one (vercel/ai packages/ai/core/embed/embed.test.ts, embed-many.ts).
 */
function isAiSdkEmbedding(a: Attrs): boolean {
  const name = str(a, 'operation.name');
  return name !== null && (name.startsWith('ai.embed.doEmbed') || name.startsWith('ai.embedMany.doEmbed'));
}

function traceloopOperation(a: Attrs): string | null {
  const t = str(a, 'llm.request.type');
  return t === null ? null : (LLM_REQUEST_TYPES[t] ?? null);
}

function first(a: Attrs, keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = count(a, k);
    if (v !== null) return v;
  }
  return null;
}

/** The key `first` read its count from: an empty value is absent there too, so it names the key that failed. */
function firstKey(a: Attrs, keys: readonly string[]): string {
  return keys.find((k) => count(a, k) !== null) ?? keys[0]!;
}

/**
 * eventId('otlp', traceId, spanId) in one hashing call: the same bytes hashed (hex ids need no escaping), without a
 * Hash object and three updates per span. genai-spans.test.ts holds it equal to eventId.
 */
export function spanEventId(traceId: string, spanId: string): string {
  // OTLP/JSON ids are whatever string the sender wrote; only ids eventId would escape take its slower path.
  if (/[|\\]/.test(traceId) || /[|\\]/.test(spanId)) return eventId('otlp', traceId, spanId);
  return hash('sha256', `otlp|${traceId}|${spanId}`, 'hex').slice(0, 16);
}

/** The event, a rejection reason, or null for a span that is not an inference call. */
function spanEvent(
  s: Span,
  a: Attrs,
  resource: Attrs,
  ctx: MapContext,
  traceId: string | null,
  spanId: string | null,
): UnpricedEvent | string | null {
  let op = str(a, 'gen_ai.operation.name') ?? traceloopOperation(a);
  const aiEmbedding = op === null && isAiSdkEmbedding(a);
  if (aiEmbedding) op = 'embeddings';
  let input = aiEmbedding ? count(a, 'ai.usage.tokens') : first(a, K.input);
  let output = first(a, K.output);
  // OpenInference LLM / EMBEDDING spans: only when no gen_ai.* names the operation, and their llm.token_count.*
  // only when no gen_ai.usage.* is on the span (converters such as its Strands processor write both).
  const oiKind = op === null ? a.get('openinference.span.kind') : undefined;
  const oi = typeof oiKind === 'string' && Object.hasOwn(OI_CALLS, oiKind);
  let keys: typeof K | typeof OI = K;
  if (oi) {
    op = OI_CALLS[oiKind]!;
    if (input === null && output === null) {
      keys = OI;
      input = first(a, OI.input);
      output = first(a, OI.output);
      // An LLM span whose call reported no usage (a stream without it, an error) is not a call we can count.
      if (input === null && output === null) return null;
    }
  }
  if (op === null ? input === null && output === null : !INFERENCE.has(op)) return null;
  if (traceId === null || spanId === null)
    return `${s.name ?? 'span'}: no trace or span id; OTLP requires both (the event id is built from them)`;
  const start = nanosToMicros(s.startTimeUnixNano);
  if (start === null) return `${s.name ?? 'span'}: no startTimeUnixNano`;
  const requested =
    str(a, 'gen_ai.request.model') ??
    (aiEmbedding ? str(a, 'ai.model.id') : oi ? strOf(a, 'llm.request.model_name', 'llm.model_name') : null);
  const model =
    str(a, 'gen_ai.response.model') ??
    (oi ? (strOf(a, 'llm.response.model_name', 'llm.model_name') ?? str(a, 'embedding.model_name')) : null) ??
    requested;
  // A span that does not name an operation counts for its usage attributes only when it also names a model: a
  // usage total without a model is a framework's roll-up of the calls under it (Pydantic AI before 1.0 puts the
  // run's gen_ai.usage.* on its `agent run` span, with the model in its own `model_name`), not one more call.
  if (model === null)
    return op === null || LANGSMITH_NOT_MODEL_CALLS.has(str(a, 'langsmith.span.kind') ?? '')
      ? null
      : `span ${spanId} (${s.name ?? op}): no gen_ai.response.model or gen_ai.request.model; the call cannot be priced`;
  // OpenInference: llm.provider is the host that bills (azure for Azure OpenAI), llm.system the API's maker.
  const system =
    strOf(a, 'gen_ai.provider.name', 'gen_ai.system') ??
    (aiEmbedding ? str(a, 'ai.model.provider') : oi ? strOf(a, 'llm.provider', 'llm.system') : null);
  const n = {
    // Strands Agents copies its model's usage as is (telemetry/tracer.py): Bedrock's inputTokens, and Anthropic's
    // input_tokens, leave out the cache reads and writes it reports beside them.
    inputExcludesCache: system === 'strands-agents',
    totalInput: input ?? 0,
    cacheRead: first(a, keys.cacheRead) ?? 0,
    cacheWrite: first(a, keys.cacheWrite) ?? 0,
    output: output ?? 0,
    reasoning: first(a, keys.reasoning) ?? 0,
  };
  if (
    Number.isNaN(n.totalInput + n.cacheRead + n.cacheWrite + n.output + n.reasoning) // any NaN, one test
  )
    for (const [name, v] of Object.entries(n))
      if (Number.isNaN(v)) {
        const key = firstKey(a, keys[name === 'totalInput' ? 'input' : (name as keyof typeof K)]);
        return `span ${spanId}: ${key} is ${JSON.stringify(a.get(key))}, expected a whole number of tokens ≥ 0`;
      }
  const usage = usageOf(n);
  if (keys === OI) {
    // Audio tokens are parts of prompt and completion (spec); never more than the part they sit in.
    const audioIn = count(a, 'llm.token_count.prompt_details.audio') ?? 0;
    const audioOut = count(a, 'llm.token_count.completion_details.audio') ?? 0;
    if (Number.isNaN(audioIn + audioOut))
      return `span ${spanId}: llm.token_count.*_details.audio is not a whole number of tokens ≥ 0`;
    usage.input_audio_tokens = Math.min(audioIn, usage.input_tokens);
    usage.output_audio_tokens = Math.min(audioOut, usage.output_tokens);
  }
  const end = nanosToMicros(s.endTimeUnixNano);
  const attribution = attributionOf(a, resource, ctx.attributes);
  const errorType = str(a, 'error.type');
  const statusCode = s.status?.code;
  const failed = errorType !== null || statusCode === 2 || statusCode === 'STATUS_CODE_ERROR';
  // Every field named, no spread: a literal with `...attribution` and `...usage` in it is built a property at a
  // time, its backing store grown and copied, ~1.3 kB of garbage a span against ~0.5 kB (a sampling heap profile).
  return {
    event_id: spanEventId(traceId, spanId),
    source: 'otlp',
    source_ref: `trace ${traceId} span ${spanId}`,
    ingested_at: ctx.ingestedAt,
    ts: start,
    duration_ms: end !== null && end >= start ? Math.round((end - start) / 1000) : null,
    ttft_ms: null,
    org: attribution.org,
    team: attribution.team,
    user: attribution.user,
    project: attribution.project,
    agent: attribution.agent,
    session_id: attribution.session_id,
    task_id: attribution.task_id,
    environment: attribution.environment,
    api_key_id: attribution.api_key_id,
    tags: attribution.tags,
    provider: providerId(system),
    model,
    model_requested: requested ?? model,
    operation: op ?? 'chat',
    // The OpenAI conventions' names first; gen_ai.response.service_tier is the provider-neutral name other
    // instrumentations use (LangSmith's exporter), the only place a Gemini or Bedrock span can carry its tier.
    service_tier: strOf(
      a,
      'gen_ai.openai.response.service_tier',
      'openai.response.service_tier',
      'gen_ai.response.service_tier',
    ),
    route_id: null,
    requests: usage.requests,
    input_tokens: usage.input_tokens,
    cache_read_tokens: usage.cache_read_tokens,
    cache_write_5m_tokens: usage.cache_write_5m_tokens,
    cache_write_1h_tokens: usage.cache_write_1h_tokens,
    output_tokens: usage.output_tokens,
    reasoning_tokens: usage.reasoning_tokens,
    web_search_requests: usage.web_search_requests,
    input_audio_tokens: usage.input_audio_tokens,
    output_audio_tokens: usage.output_audio_tokens,
    input_image_tokens: usage.input_image_tokens,
    output_image_tokens: usage.output_image_tokens,
    audio_ms: usage.audio_ms,
    energy_j: null,
    energy_source: null,
    status: failed ? 'error' : 'ok',
    error_type: failed ? (errorType ?? s.status?.message ?? 'error') : null,
    provider_cost_usd: usdAttr(a, 'gen_ai.usage.cost') ?? (oi ? usdAttr(a, 'llm.cost.total') : null),
    given_cost: null,
  };
}
