import { emptyAttribution, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import {
  isObject,
  isProblem,
  type LineProblem,
  SKIP_CODES,
  str,
  timestampOf,
  tokenCount,
} from '../json-line.js';
import { vendorOfModel } from '../model-vendor.js';
import { lastSegment } from '../path-parts.js';
import type { ParseContext } from '../source.js';

export const QWEN_CODE_SOURCE_ID = 'qwen-code';

/** Model name for an assistant record that names none: left unpriced, tagged. */
export const QWEN_CODE_UNKNOWN_MODEL = 'unknown';

/**
 * Who makes a model Qwen Code names. Qwen's own models (`coder-model`, Qwen OAuth's alias; `qwen3-coder-plus`,
 * `qwen3.5-plus`, `qwq-…`) are Alibaba's; others by their family name (vendorOfModel). The bundled catalog lists no
 * Alibaba (DashScope) prices, so Qwen's own models stay unpriced unless tokenledger.prices.yaml names them.
 */
export function providerOfModel(model: string): string | null {
  const m = model.trim().toLowerCase();
  if (/(^|[/.])(qwen|qwq|qvq)/.test(m) || m === 'coder-model' || m === 'vision-model') return 'alibaba';
  return vendorOfModel(m);
}

/** What the path says: `…/projects/<project folder>/chats/<session id>.jsonl`. */
export interface PathFacts {
  sessionId: string;
  folder: string | null;
}

export function factsFromPath(path: string): PathFacts {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const stem = (parts.at(-1) ?? path).replace(/\.jsonl$/i, '');
  const chatsAt = parts.lastIndexOf('chats');
  return { sessionId: stem, folder: chatsAt > 0 ? parts[chatsAt - 1]! : null };
}

/**
 * An assistant record with `usageMetadata` → one event. Every model call of a chat (the main one and a subagent's)
 * is recorded as one such record (core/geminiChat.ts → ChatRecordingService.recordAssistantTurn), its usage in the
 * Gemini API's shape whatever the provider, converted by the content generator. Returns null for records that carry
 * no usage: user input, tool results, system records (ui_telemetry included, see parse.ts), and assistant records
 * without usage.
 *
 * Token split (docs/sources/qwen-code.md, "Token convention"): `promptTokenCount` holds the whole prompt, cached
 * part included; `cachedContentTokenCount` is that cached part. Whether `thoughtsTokenCount` is inside
 * `candidatesTokenCount` depends on the content generator, and the total tells which: the OpenAI-compatible
 * converter copies `completion_tokens` (reasoning included) to candidates and `total_tokens` = prompt + completion to
 * the total; Gemini's own API counts thoughts apart, in a total of prompt + candidates + thoughts + tool-use prompt.
 */
export function recordEvent(
  rec: Record<string, unknown>,
  ref: string,
  facts: PathFacts,
  ctx: ParseContext,
): UnpricedEvent | LineProblem | null {
  if (rec.type !== 'assistant' || rec.usageMetadata === undefined || rec.usageMetadata === null) return null;
  const u = rec.usageMetadata;
  if (!isObject(u)) return { code: SKIP_CODES.badRecord, reason: 'usageMetadata: expected an object' };
  const uuid = str(rec.uuid);
  if (uuid === null) return { code: SKIP_CODES.badRecord, reason: 'uuid: expected the record id' };
  if (
    u.promptTokenCount === undefined &&
    u.candidatesTokenCount === undefined &&
    u.totalTokenCount === undefined
  ) {
    return { code: SKIP_CODES.badRecord, reason: 'usageMetadata: no token counts' };
  }
  const prompt = tokenCount(u.promptTokenCount, 'usageMetadata.promptTokenCount', 0);
  if (isProblem(prompt)) return prompt;
  const candidates = tokenCount(u.candidatesTokenCount, 'usageMetadata.candidatesTokenCount', 0);
  if (isProblem(candidates)) return candidates;
  const cached = tokenCount(u.cachedContentTokenCount, 'usageMetadata.cachedContentTokenCount', 0);
  if (isProblem(cached)) return cached;
  const thoughts = tokenCount(u.thoughtsTokenCount, 'usageMetadata.thoughtsTokenCount', 0);
  if (isProblem(thoughts)) return thoughts;
  const tool = tokenCount(u.toolUsePromptTokenCount, 'usageMetadata.toolUsePromptTokenCount', 0);
  if (isProblem(tool)) return tool;
  const total = tokenCount(u.totalTokenCount, 'usageMetadata.totalTokenCount', 0);
  if (isProblem(total)) return total;
  if (cached > prompt) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `usageMetadata.cachedContentTokenCount (${cached}) exceeds usageMetadata.promptTokenCount (${prompt})`,
    };
  }
  if (prompt + candidates + thoughts + tool > Number.MAX_SAFE_INTEGER) {
    return { code: SKIP_CODES.numberTooLarge, reason: 'usageMetadata: the sum of the counts is beyond 2^53' };
  }
  const ts = timestampOf(rec.timestamp, 'timestamp');
  if (isProblem(ts)) return ts;

  // Thoughts apart from candidates when the total says so (Gemini's API), or when they could not fit inside them.
  const apart = thoughts > 0 && (total === prompt + candidates + thoughts + tool || thoughts > candidates);
  const output = apart ? candidates + thoughts : candidates;
  const expected = prompt + output + tool;

  const named = str(rec.model);
  const tags: Record<string, string> = {};
  if (named === null) tags.model_missing = 'true';
  const branch = str(rec.gitBranch);
  if (branch) tags.git_branch = branch;
  const subagent = str(rec.agentName) ?? str(rec.agentId);
  if (subagent) tags.subagent = subagent;
  if (apart) tags.thoughts_apart = 'true';
  // Kept visible rather than "fixed": a total that disagrees means the provider or the converter counted otherwise.
  if (total !== 0 && total !== expected) tags.reported_total = String(total);
  // /branch copies a session's records, uuid and all, into a new session: the calls belong to the session they were
  // made in, so every copy gives the same event (id from the uuid, session from forkedFrom).
  const forked = isObject(rec.forkedFrom) ? str(rec.forkedFrom.sessionId) : null;
  const cwd = str(rec.cwd);
  const defaults = ctx.defaults ?? {};
  return {
    event_id: eventId(QWEN_CODE_SOURCE_ID, uuid),
    source: QWEN_CODE_SOURCE_ID,
    source_ref: ref,
    ingested_at: ctx.ingestedAt,
    ts,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    org: defaults.org ?? null,
    team: defaults.team ?? null,
    user: defaults.user ?? null,
    project: (cwd ? lastSegment(cwd) : null) ?? facts.folder ?? defaults.project ?? null,
    agent: QWEN_CODE_SOURCE_ID,
    session_id: forked ?? str(rec.sessionId) ?? facts.sessionId,
    tags,
    provider: named === null ? null : providerOfModel(named),
    model: named ?? QWEN_CODE_UNKNOWN_MODEL,
    model_requested: named,
    operation: 'chat',
    service_tier: null,
    route_id: null,
    requests: 1,
    input_tokens: prompt - cached + tool,
    cache_read_tokens: cached,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: output,
    reasoning_tokens: thoughts,
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
