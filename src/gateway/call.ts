import type { Reservation } from '../budgets/enforcer.js';
import { countPromptTokens } from '../budgets/prompt-tokens.js';
import { toolsText } from '../budgets/worst-case.js';
import type { CallContent } from '../ledger/call-content.js';
import type { Attribution, Status, UsageEvent } from '../ledger/event.js';
import { anthropicServiceTier } from '../pricing/anthropic-tier.js';
import type { BackgroundResponses } from './background-responses.js';
import type { CacheSlot } from './cache/response-cache.js';
import { callIds } from './call-ids.js';
import type { CarriedContext } from './carried-context.js';
import type { Upstream } from './config.js';
import type { GatewayDeps } from './pipeline.js';
import {
  durationUsage,
  type MeteredUsage,
  NO_USAGE,
  type Provider,
  type ResponseFacts,
} from './providers/provider.js';
import { pricedEvent } from './record.js';
import type { GatewayRoute } from './routes.js';

/** One call in flight: everything recording it needs. */
export interface CallContext {
  deps: GatewayDeps;
  provider: Provider;
  route: GatewayRoute;
  json: Record<string, unknown>;
  /** performance.now() at arrival. */
  started: number;
  /** Epoch µs at arrival. */
  ts: number;
  requestId: string;
  eventId: string;
  attribution: Attribution;
  upstream: Upstream;
  /** The model name sent upstream. */
  model: string;
  /** What budget admission reserved (its headers go on the response); settled here once the event is in the log. */
  reservation: Reservation | null;
  /** The router whose name the client called (`routers:`), which chose `model`; else null or absent. */
  routeId?: string | null;
  /** A Responses call in background mode (background-responses.ts): the registry that records it once; else null. */
  background: BackgroundResponses | null;
  /** Handed to the registry, reservation and all, to be recorded when its background response finishes. */
  heldForLater?: boolean;
  /** The request body as the client sent it, when the caller's key keeps call text (`--store-content`); else null. */
  keepText: Buffer | null;
  /** For a Responses call: what the responses it names carried, and where its own is remembered; else null. */
  carried: CarriedContext | null;
  /**
   * For an Audio API call: the length of the audio file it sent, read only when asked (an answer without usage from
   * a model billed by that length is estimated from it); else absent.
   */
  audioMs?: (() => Promise<number | null>) | undefined;
  /** Where the answer is kept for the same request again (cache/response-cache.ts), when the cache looked it up. */
  cache?: CacheSlot | undefined;
}

export interface Outcome {
  facts: ResponseFacts | null;
  status: Status;
  error: string | null;
  ttft_ms?: number | null;
  /**
   * The usage was not (fully) reported: count what was consumed with the tokenizer. `outputText` is the output
   * the client received; the input is the provider's count when it gave one, else the request's text.
   */
  estimate?: { outputText: string } | undefined;
  abortedBeforeOutput?: boolean;
  /** When the provider says how long the call ran (a background response); else the time since arrival. */
  duration_ms?: number | undefined;
  /** The answer's text, for a key that keeps call text; asked for only then. None: nothing was answered. */
  completion?: (() => string) | undefined;
  /** Where the answer came from, when not the call's response or request id (a cached answer's: cache/response-cache.ts). */
  sourceRef?: string | undefined;
  /**
   * An attempt a fallback replaced (the upstream refused it or could not be reached): a request of its own, recorded
   * under ids of its own. It settles nothing (the call's reservation is the answering attempt's) and the runaway
   * watch sees the call once, by the attempt that answers.
   */
  replaced?: boolean;
}

/** Prices the call, appends it to the WAL (resolves once it is in the log) and counts it in the metrics. */
export async function recordCall(call: CallContext, o: Outcome): Promise<UsageEvent> {
  const facts = o.facts;
  let usage = facts?.usage ?? null;
  const estimate = o.estimate ?? (o.abortedBeforeOutput ? { outputText: '' } : undefined);
  if (estimate !== undefined) usage = await estimated(call, usage, estimate.outputText);
  const ids = o.replaced === true ? callIds() : call;
  const event = pricedEvent(
    {
      event_id: ids.eventId,
      request_id: ids.requestId,
      ts: call.ts,
      duration_ms: o.duration_ms ?? Math.round(performance.now() - call.started),
      ttft_ms: o.ttft_ms ?? null,
      attribution: call.attribution,
      provider: call.upstream.provider,
      model_requested: call.model,
      model: facts?.model ?? null,
      route_id: call.routeId ?? null,
      operation: call.route.operation,
      service_tier: facts?.service_tier ?? requestedTier(call.json),
      usage,
      status: o.status,
      error_type: o.error,
      estimated: estimate !== undefined,
      response_id: facts?.response_id ?? null,
      source_ref: o.sourceRef,
      provider_cost_usd: facts?.provider_cost_usd ?? null,
      inference_geo: facts?.inference_geo ?? call.upstream.inference_geo ?? null,
      web_search_tool: facts?.web_search_tool ?? null,
    },
    call.deps.pricer,
    Date.now() * 1000,
  );
  const request = call.keepText;
  await call.deps.record(event, request === null ? undefined : textOf(request, event, o));
  call.deps.metrics.recordEvent(event);
  if (o.replaced === true) return event;
  call.carried?.record(call.json, facts?.response_id ?? null, event);
  // The runaway watch fingerprints the request (µs for long prompts): after the response is on its way.
  const sessions = call.deps.sessions;
  if (sessions !== undefined && event.session_id !== null)
    setImmediate(() => sessions.observe(call.json, event));
  // Off the response path: the ledger already holds the truth, the counters catch up a moment later.
  const r = call.reservation;
  if (r !== null && !r.done) call.deps.enforcer?.settleInBackground(r, event, warnSettle);
  return event;
}

/**
 * The tier a call asked for, recorded when the provider's answer did not say which it was billed in (a stream left
 * before its usage), as admission reserved it: Anthropic's fast mode is asked for with `speed`
 * (pricing/anthropic-tier.ts), and billed at 6x; OpenAI's `service_tier` names a tier (`flex`, `priority`). `auto`
 * (both) and Anthropic's `standard_only` are preferences that leave the choice to the provider, not a tier: the
 * answer's `service_tier` is the one billed, and without it the call is standard (null), as it is priced.
 */
function requestedTier(json: Record<string, unknown>): string | null {
  const asked = typeof json.service_tier === 'string' ? json.service_tier : null;
  return anthropicServiceTier(asked !== null && TIER_PREFERENCES.has(asked) ? null : asked, json.speed);
}

const TIER_PREFERENCES = new Set(['auto', 'standard_only']);

function textOf(request: Buffer, e: UsageEvent, o: Outcome): CallContent {
  return {
    event_id: e.event_id,
    ts: e.ts,
    request: request.toString('utf8'),
    // An estimate's output text is the same answer text, already read (a stream's is a pass over all its events).
    completion: o.estimate?.outputText ?? o.completion?.() ?? '',
  };
}

function warnSettle(e: Error): void {
  process.stderr.write(`gateway: settling a budget reservation failed: ${e.message}\n`);
}

async function estimated(
  call: CallContext,
  known: MeteredUsage | null,
  outputText: string,
): Promise<MeteredUsage> {
  // whisper-1 bills the audio's length, not tokens: an answer without usage (asked for as text, srt or vtt, or a
  // translation) is estimated from the length of the file the client sent.
  if (known === null && call.audioMs !== undefined && billedByDuration(call)) {
    const ms = await call.audioMs();
    if (ms !== null) return durationUsage(ms);
  }
  const output = Math.max(known?.output_tokens ?? 0, await countPromptTokens(outputText));
  if (known !== null) return { ...known, output_tokens: output };
  // A search the stream never reported is not guessed at (NO_USAGE's 0): unlike tokens, nothing the client got shows
  // one ran.
  return {
    ...NO_USAGE,
    // The tool definitions and base64 images too: input the provider bills (they can outweigh the prompt), and
    // admission counts them (images by their bound there, by the provider's estimate here).
    input_tokens:
      (await countPromptTokens(call.provider.inputText(call.json))) +
      (await countPromptTokens(toolsText(call.json))) +
      (call.provider.estimatedImageTokens?.(call.json, call.model) ?? 0) +
      // An input sent as token ids has no text: its ids are its tokens.
      (call.provider.inputTokenIds?.(call.json) ?? 0) +
      // The earlier response or conversation it goes on from, billed again as input, when this process saw it.
      (call.carried?.estimate(call.json) ?? 0),
    output_tokens: output,
  };
}

/** Whether the call's model is billed by the length of its audio: its rate card has a rate per hour of audio. */
function billedByDuration(call: CallContext): boolean {
  const pricer = call.deps.pricer;
  const r = pricer.resolve(call.model, call.upstream.provider);
  return r !== null && (pricer.rates(r, call.ts, 0, null)?.audio_hour ?? 0n) > 0n;
}
