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
import type { ParseContext } from '../source.js';

export const GEMINI_CLI_SOURCE_ID = 'gemini-cli';

/** Model name for a message that names none (early Gemini CLI chat files): left unpriced, tagged. */
export const GEMINI_UNKNOWN_MODEL = 'unknown';

/** What the file (header line or document) and its path say about every message in it. */
export interface FileFacts {
  sessionId: string;
  /** Session the usage is attributed to: the parent's for a subagent log (`chats/<parent>/<id>.jsonl`). */
  attributedSession: string;
  subagent: string | null;
  project: string | null;
  projectHash: string | null;
}

/**
 * A `type: "gemini"` message with `tokens` → one event. Gemini CLI copies the API's usageMetadata:
 * `input` = promptTokenCount (includes `cached`), `output` = candidatesTokenCount (excludes thoughts),
 * `thoughts` = thoughtsTokenCount, `tool` = toolUsePromptTokenCount, `total` = totalTokenCount = input + output +
 * thoughts + tool. Gemini bills thoughts at the output price and tool-use prompt tokens at the input price, so:
 * input_tokens = input − cached + tool, cache_read = cached, output_tokens = output + thoughts, reasoning = thoughts.
 * Returns null for messages without usage (user turns, tokens: null).
 */
export function messageEvent(
  msg: unknown,
  ref: string,
  facts: FileFacts,
  ctx: ParseContext,
): UnpricedEvent | LineProblem | null {
  if (!isObject(msg) || msg.type !== 'gemini' || msg.tokens === null || msg.tokens === undefined) return null;
  const t = msg.tokens;
  if (!isObject(t)) return { code: SKIP_CODES.badRecord, reason: 'tokens: expected an object' };
  const id = str(msg.id);
  if (id === null) return { code: SKIP_CODES.badRecord, reason: 'id: expected the message id' };
  const input = tokenCount(t.input, 'tokens.input');
  if (isProblem(input)) return input;
  const output = tokenCount(t.output, 'tokens.output');
  if (isProblem(output)) return output;
  const cached = tokenCount(t.cached, 'tokens.cached', 0);
  if (isProblem(cached)) return cached;
  const thoughts = tokenCount(t.thoughts, 'tokens.thoughts', 0);
  if (isProblem(thoughts)) return thoughts;
  const tool = tokenCount(t.tool, 'tokens.tool', 0);
  if (isProblem(tool)) return tool;
  const total = tokenCount(t.total, 'tokens.total', 0);
  if (isProblem(total)) return total;
  if (cached > input) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `tokens.cached (${cached}) exceeds tokens.input (${input})`,
    };
  }
  if (input + output + thoughts + tool > Number.MAX_SAFE_INTEGER) {
    return { code: SKIP_CODES.numberTooLarge, reason: 'tokens: the sum of the counts is beyond 2^53' };
  }
  const ts = timestampOf(msg.timestamp, 'timestamp');
  if (isProblem(ts)) return ts;

  const named = str(msg.model);
  const tags: Record<string, string> = {};
  if (named === null) tags.model_missing = 'true';
  if (facts.subagent) tags.subagent = facts.subagent;
  if (facts.projectHash) tags.project_hash = facts.projectHash;
  // Kept visible rather than "fixed": a total that disagrees means Gemini changed its counting.
  if (total !== 0 && total !== input + output + thoughts + tool) tags.reported_total = String(total);
  const defaults = ctx.defaults ?? {};
  return {
    event_id: eventId(GEMINI_CLI_SOURCE_ID, facts.sessionId, id),
    source: GEMINI_CLI_SOURCE_ID,
    source_ref: ref,
    ingested_at: ctx.ingestedAt,
    ts,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    org: defaults.org ?? null,
    team: defaults.team ?? null,
    user: defaults.user ?? null,
    project: facts.project ?? defaults.project ?? null,
    agent: 'gemini-cli',
    session_id: facts.attributedSession,
    tags,
    provider: 'google',
    model: named ?? GEMINI_UNKNOWN_MODEL,
    model_requested: named,
    operation: 'generate_content',
    service_tier: null,
    route_id: null,
    requests: 1,
    input_tokens: input - cached + tool,
    cache_read_tokens: cached,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: output + thoughts,
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

/** The fields of a message that messageEvent reads, without its content, thoughts and tool calls. */
export function usageFields(msg: Record<string, unknown>): Record<string, unknown> {
  const { id, type, tokens, timestamp, model } = msg;
  return { id, type, tokens, timestamp, model };
}

/**
 * Facts from the path: `<tmp>/<project>/chats/session-<time>-<id8>.json[l]` for a main session,
 * `<tmp>/<project>/chats/<parent session id>/<session id>.jsonl` for a subagent. The header's ids win when present.
 */
export function factsFromPath(
  path: string,
  header: { sessionId?: unknown; projectHash?: unknown },
): FileFacts {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const stem = (parts.at(-1) ?? path).replace(/\.jsonl?$/i, '');
  const chatsAt = parts.lastIndexOf('chats');
  const project = chatsAt > 0 ? parts[chatsAt - 1]! : null;
  const parent = chatsAt >= 0 && chatsAt === parts.length - 3 ? parts[chatsAt + 1]! : null;
  const sessionId = str(header.sessionId) ?? /^session-.*-([0-9a-f]{8})$/i.exec(stem)?.[1] ?? stem;
  const projectHash = str(header.projectHash);
  return {
    sessionId,
    attributedSession: parent ?? sessionId,
    subagent: parent ? sessionId : null,
    project: project ?? projectHash,
    projectHash,
  };
}
