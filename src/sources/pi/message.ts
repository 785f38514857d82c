import { emptyAttribution, type Status, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { isObject, isProblem, type LineProblem, SKIP_CODES, str, timestampOf } from '../json-line.js';
import { lastSegment } from '../path-parts.js';
import type { ParseContext } from '../source.js';
import { readPiUsage } from './usage.js';

export const PI_SOURCE_ID = 'pi';

/** What the session's header line (and the file's path) say about every message after it. */
export interface SessionFacts {
  sessionId: string;
  /** The folder name, `--home-ana-shop--` with its dashes around it taken off: the project when no cwd is known. */
  folder: string | null;
  cwd: string | null;
  /** The header's `timestamp` (µs): when a forked session was made, which its copied entries predate. */
  startedAt: number | null;
  /** The session a forked one was copied from (the uuid in its header's `parentSession` path), else null. */
  parentId: string | null;
}

/**
 * pi's provider ids (pi-ai types.ts KnownProvider, plus custom ones from models.json) as the ledger names who bills
 * the call. Subscription and proxy routes keep their own name (github-copilot, openrouter, opencode, …); pricing still
 * finds the vendor's model by its name.
 */
const PROVIDERS: Readonly<Record<string, string>> = {
  'openai-codex': 'openai',
  'azure-openai-responses': 'azure',
  'google-gemini-cli': 'google',
  'google-antigravity': 'google',
  'google-vertex': 'google',
  'amazon-bedrock': 'aws',
  xai: 'x-ai',
  'kimi-coding': 'moonshotai',
};

/** pi-ai's wire protocols (`api` on the message) as the ledger's operations; others are left null. */
const OPERATIONS: Readonly<Record<string, string>> = {
  'anthropic-messages': 'messages',
  'openai-completions': 'chat',
  'azure-openai-completions': 'chat',
  'mistral-conversations': 'chat',
  'openai-responses': 'responses',
  'azure-openai-responses': 'responses',
  'openai-codex-responses': 'responses',
  'google-generative-ai': 'generate_content',
  'google-gemini-cli': 'generate_content',
  'google-vertex': 'generate_content',
  'bedrock-converse-stream': 'converse',
};

/**
 * A session entry `{type: "message", id, parentId, timestamp, message}` whose message is an assistant turn with
 * `usage` → one event (badlogic/pi-mono packages/coding-agent/src/core/session-manager.ts SessionMessageEntry; the
 * message is pi-ai's AssistantMessage `{role, content, api, provider, model, usage, stopReason, errorMessage?,
 * timestamp, responseId?}`). Null for every other entry, and for a turn with no tokens at all (a request that failed
 * before the provider counted anything).
 */
export function messageEvent(
  entry: Record<string, unknown>,
  lineNo: number,
  facts: SessionFacts,
  ctx: ParseContext,
): UnpricedEvent | LineProblem | null {
  if (entry.type !== undefined && entry.type !== 'message') return null;
  const msg = entry.message;
  if (!isObject(msg) || msg.role !== 'assistant' || msg.usage === undefined) return null;
  const usage = readPiUsage(msg.usage);
  if (isProblem(usage)) return usage;
  const t = usage.tokens;
  if (
    t.input_tokens +
      t.output_tokens +
      t.cache_read_tokens +
      t.cache_write_5m_tokens +
      t.cache_write_1h_tokens ===
    0
  )
    return null;
  const model = str(msg.model);
  if (model === null) return { code: SKIP_CODES.badRecord, reason: 'message.model: expected the model name' };
  // The entry's timestamp is when pi wrote it (the answer's end); the message's is when pi-ai began the request.
  const written = timestampOf(entry.timestamp, 'timestamp');
  if (isProblem(written)) return written;
  const started =
    typeof msg.timestamp === 'number' ? timestampOf(msg.timestamp, 'message.timestamp') : written;
  if (isProblem(started)) return started;

  const api = str(msg.api);
  const named = str(msg.provider)?.toLowerCase() ?? null;
  const tags: Record<string, string> = { ...usage.tags };
  if (api) tags.pi_api = api;
  if (named) tags.pi_provider = named;
  // A forked session starts with a copy of its parent's entries, written before the fork: the same calls.
  const copied = facts.parentId !== null && facts.startedAt !== null && written < facts.startedAt;
  const defaults = ctx.defaults ?? {};
  return {
    // Not the session or the entry's id: a fork copies entries whole into a new session, and pi gives entries new
    // random ids when it migrates a version-1 file in place; the entry's timestamp, the request's start, the response
    // id and the counts are the same in every copy and differ between calls.
    event_id: eventId(
      PI_SOURCE_ID,
      str(entry.timestamp),
      typeof msg.timestamp === 'number' ? msg.timestamp : null,
      str(msg.responseId),
      model,
      t.input_tokens,
      t.output_tokens,
      t.cache_read_tokens,
      t.cache_write_5m_tokens + t.cache_write_1h_tokens,
    ),
    source: PI_SOURCE_ID,
    source_ref: `${ctx.path}:${lineNo}`,
    ingested_at: ctx.ingestedAt,
    ts: started,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    org: defaults.org ?? null,
    team: defaults.team ?? null,
    user: defaults.user ?? null,
    project: (facts.cwd ? lastSegment(facts.cwd) : null) ?? facts.folder ?? defaults.project ?? null,
    agent: 'pi',
    session_id: copied ? facts.parentId : facts.sessionId,
    tags,
    provider: named === null ? null : (PROVIDERS[named] ?? named),
    model,
    model_requested: model,
    operation: api === null ? null : (OPERATIONS[api] ?? null),
    service_tier: null,
    route_id: null,
    requests: 1,
    ...t,
    web_search_requests: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
    energy_j: null,
    energy_source: null,
    status: statusOf(msg.stopReason),
    error_type: null,
    provider_cost_usd: usage.cost,
  };
}

/** pi-ai's StopReason: `error` and `aborted` end a call that still used (and was billed for) what it counted. */
function statusOf(v: unknown): Status {
  return v === 'error' ? 'error' : v === 'aborted' ? 'aborted' : 'ok';
}

/**
 * Facts from the path alone: `<sessions>/<--cwd-with-dashes-->/<time>_<uuid>.jsonl`. The header's `id` and `cwd`
 * replace them once read.
 */
export function factsFromPath(path: string): SessionFacts {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const stem = (parts.at(-1) ?? path).replace(/\.jsonl$/i, '');
  const folder = parts.length > 1 ? parts.at(-2)!.replace(/^--(.*)--$/, '$1') : null;
  return {
    sessionId: sessionOfFile(stem),
    folder: folder || null,
    cwd: null,
    startedAt: null,
    parentId: null,
  };
}

/** `2025-12-19T08-12-33-794Z_2c16ab69-….jsonl` → the uuid after the first `_`; a name without one is the id. */
export function sessionOfFile(stem: string): string {
  const at = stem.indexOf('_');
  return at >= 0 && at < stem.length - 1 ? stem.slice(at + 1) : stem;
}
