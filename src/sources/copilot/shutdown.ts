import { emptyAttribution, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { isObject, isProblem, type LineProblem, SKIP_CODES, tokenCount } from '../json-line.js';
import { vendorOfModel } from '../model-vendor.js';
import { lastSegment } from '../path-parts.js';
import type { ParseContext } from '../source.js';

export const COPILOT_SOURCE_ID = 'copilot';

/** What the session's earlier lines said: `session.start`, then `session.resume` and `session.context_changed`. */
export interface SessionFacts {
  sessionId: string;
  cwd: string | null;
  repository: string | null;
  branch: string | null;
  copilotVersion: string | null;
}

/** The shutdown line a model's metrics come from. */
export interface Shutdown {
  /** The line's `id` (a UUID), or `line:<n>` for a line without one. */
  id: string;
  ts: number;
  ref: string;
  /** `data.shutdownType` when not `routine`. */
  shutdownType: string | null;
}

/**
 * One `data.modelMetrics[model]` of a `session.shutdown` → one aggregate event of `requests.count` calls, or null when
 * the model made no request and used no token. Copilot's usage is the OpenAI shape GitHub's API answers with, summed:
 * `inputTokens` includes `cacheReadTokens` and `cacheWriteTokens`, and `outputTokens` includes `reasoningTokens`
 * (docs/sources/copilot.md, "Tokens"), so input_tokens = inputTokens − cacheReadTokens − cacheWriteTokens.
 * `requests.cost` is premium requests (GitHub's billing unit, model multipliers applied), not dollars: a tag.
 */
export function modelEvent(
  model: string,
  m: unknown,
  shutdown: Shutdown,
  facts: SessionFacts,
  ctx: ParseContext,
): UnpricedEvent | LineProblem | null {
  const field = `data.modelMetrics[${JSON.stringify(model)}]`;
  if (model.trim() === '') return bad(`${field}: expected a model name as the key`);
  if (!isObject(m)) return bad(`${field}: expected an object`);
  const req = m.requests === undefined || m.requests === null ? {} : m.requests;
  if (!isObject(req)) return bad(`${field}.requests: expected an object`);
  const count = tokenCount(req.count, `${field}.requests.count`, 0);
  if (isProblem(count)) return count;
  if (m.usage === undefined || m.usage === null) {
    return count === 0 ? null : bad(`${field}.usage: missing for ${count} requests`);
  }
  if (!isObject(m.usage)) return bad(`${field}.usage: expected an object`);
  const u = m.usage;
  const input = tokenCount(u.inputTokens, `${field}.usage.inputTokens`);
  if (isProblem(input)) return input;
  const output = tokenCount(u.outputTokens, `${field}.usage.outputTokens`);
  if (isProblem(output)) return output;
  const cacheRead = tokenCount(u.cacheReadTokens, `${field}.usage.cacheReadTokens`, 0);
  if (isProblem(cacheRead)) return cacheRead;
  const cacheWrite = tokenCount(u.cacheWriteTokens, `${field}.usage.cacheWriteTokens`, 0);
  if (isProblem(cacheWrite)) return cacheWrite;
  const reasoning = tokenCount(u.reasoningTokens, `${field}.usage.reasoningTokens`, 0);
  if (isProblem(reasoning)) return reasoning;
  if (cacheRead + cacheWrite > input) {
    return bad(
      `${field}.usage: cacheReadTokens (${cacheRead}) + cacheWriteTokens (${cacheWrite}) exceed inputTokens (${input})`,
    );
  }
  if (reasoning > output) {
    return bad(`${field}.usage: reasoningTokens (${reasoning}) exceeds outputTokens (${output})`);
  }
  if (input + output > Number.MAX_SAFE_INTEGER) {
    return {
      code: SKIP_CODES.numberTooLarge,
      reason: `${field}.usage: the sum of the counts is beyond 2^53`,
    };
  }
  if (count === 0 && input === 0 && output === 0) return null;

  const tags: Record<string, string> = {};
  const premium = nonNegative(req.cost);
  if (premium !== null) tags.premium_requests = String(premium);
  const nanoAiu = nonNegative(m.totalNanoAiu);
  if (nanoAiu !== null) tags.nano_aiu = String(nanoAiu);
  if (facts.copilotVersion) tags.copilot_version = facts.copilotVersion;
  if (facts.repository) tags.repository = facts.repository;
  if (facts.branch) tags.git_branch = facts.branch;
  if (shutdown.shutdownType) tags.shutdown_type = shutdown.shutdownType;
  const defaults = ctx.defaults ?? {};
  return {
    event_id: eventId(COPILOT_SOURCE_ID, facts.sessionId, shutdown.id, model),
    source: COPILOT_SOURCE_ID,
    source_ref: shutdown.ref,
    ingested_at: ctx.ingestedAt,
    ts: shutdown.ts,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    org: defaults.org ?? null,
    team: defaults.team ?? null,
    user: defaults.user ?? null,
    project: (facts.cwd ? lastSegment(facts.cwd) : null) ?? defaults.project ?? null,
    agent: 'copilot',
    session_id: facts.sessionId,
    tags,
    provider: vendorOfModel(model),
    model,
    model_requested: model,
    operation: 'chat',
    service_tier: null,
    route_id: null,
    requests: count,
    input_tokens: input - cacheRead - cacheWrite,
    cache_read_tokens: cacheRead,
    // GitHub names no cache lifetime; Anthropic's default write (5 minutes) is the one its API bills by default.
    cache_write_5m_tokens: cacheWrite,
    cache_write_1h_tokens: 0,
    output_tokens: output,
    reasoning_tokens: reasoning,
    web_search_requests: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
    energy_j: null,
    energy_source: null,
    status: 'ok',
    error_type: null,
    provider_cost_usd: null,
  };
}

function bad(reason: string): LineProblem {
  return { code: SKIP_CODES.badRecord, reason };
}

/** A premium-request or nano-AIU figure: a finite number ≥ 0 (premium requests may be fractional: 0.33×). */
function nonNegative(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}
