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
import type { ParseContext, Sink } from '../source.js';

export const AMP_SOURCE_ID = 'amp';
/** Model name for a usage record that names none: left unpriced, tagged. */
export const AMP_UNKNOWN_MODEL = 'unknown';

/** What the parser kept of one `messages[i]`: its role, number and usage, never its content. */
export interface MessageFacts {
  role?: unknown;
  messageId?: unknown;
  usage?: unknown;
  /** Line where `usage` starts (else where the message's first kept field does). */
  line: number;
}

/** What the parser kept of a thread document: a few top-level fields and the usage records, with their lines. */
export interface ThreadFacts {
  id?: unknown;
  created?: unknown;
  /** `env.initial.trees[]`: the workspace folders the thread was started in. */
  trees: unknown[];
  messages: Map<number, MessageFacts>;
  ledger: { value: unknown; line: number; index: number }[];
}

/** The token fields of an Amp usage record, read and checked. */
interface Counts {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/**
 * The events of one thread: one per billed model call. Since ~2026-01-13 each assistant message carries its call's
 * `usage`; older threads list calls in `usageLedger.events[]` instead (and may carry cache counts on the message the
 * event answers, `toMessageId`). A call is counted once: a ledger event naming a message with its own usage is that
 * message's call; a ledger event naming no message is counted only in a thread without message usage (it could be any
 * of them).
 */
export function threadEvents(t: ThreadFacts, ctx: ParseContext, sink: Sink): void {
  const threadId = str(t.id) ?? stem(ctx.path);
  const project = projectOf(t.trees) ?? ctx.defaults?.project ?? null;
  const created = typeof t.created === 'number' && Number.isFinite(t.created) ? t.created : null;
  const base = { threadId, project, created, ctx };

  // Each ledger event by the message it answers: its time, model and credits complete an older message's usage.
  const ledgerFor = new Map<unknown, Record<string, unknown>>();
  for (const { value } of t.ledger) {
    if (isObject(value) && value.toMessageId !== undefined && !ledgerFor.has(value.toMessageId)) {
      ledgerFor.set(value.toMessageId, value);
    }
  }

  const counted = new Set<unknown>();
  /** Usage with only cache counts (older threads): the cache half of the ledger event answering that message. */
  const cacheOnly = new Map<unknown, Record<string, unknown>>();
  for (const [i, m] of [...t.messages].sort((a, b) => a[0] - b[0])) {
    if (m.role !== 'assistant' || !isObject(m.usage)) continue;
    const ref = `${ctx.path}:${m.line}`;
    const u = m.usage;
    if (u.inputTokens === undefined && u.outputTokens === undefined) {
      cacheOnly.set(m.messageId, u);
      continue;
    }
    const e = messageEvent(m, u, ledgerFor.get(m.messageId), ref, base);
    if (!isProblem(e) && counted.has(m.messageId)) {
      sink.skip({
        ref,
        code: SKIP_CODES.badRecord,
        reason: `messages[${i}].messageId ${String(m.messageId)} repeats an earlier message's: counted once`,
      });
      continue;
    }
    counted.add(m.messageId);
    if (isProblem(e)) sink.skip({ ref, code: e.code, reason: `messages[${i}].${e.reason}` });
    else sink.event(e);
  }

  for (const { value, line, index } of t.ledger) {
    const ref = `${ctx.path}:${line}`;
    if (!isObject(value)) {
      sink.skip({
        ref,
        code: SKIP_CODES.badRecord,
        reason: `usageLedger.events[${index}]: expected an object`,
      });
      continue;
    }
    if (value.toMessageId === undefined ? counted.size > 0 : counted.has(value.toMessageId)) continue;
    const e = ledgerEvent(value, cacheOnly.get(value.toMessageId), ref, base);
    if (isProblem(e)) sink.skip({ ref, code: e.code, reason: `usageLedger.events[${index}].${e.reason}` });
    else sink.event(e);
  }
}

interface Base {
  threadId: string;
  project: string | null;
  created: number | null;
  ctx: ParseContext;
}

/**
 * `usage{model, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, totalInputTokens,
 * credits, timestamp}` of an assistant message → one event. Amp copies Anthropic's usage: `inputTokens` excludes
 * cache reads and writes, and `totalInputTokens` = input + cache writes + cache reads. When the total instead equals
 * `inputTokens` with cache reads inside it (OpenAI's convention), the reads are taken out of the input.
 */
function messageEvent(
  m: MessageFacts,
  u: Record<string, unknown>,
  ledger: Record<string, unknown> | undefined,
  ref: string,
  b: Base,
): UnpricedEvent | LineProblem {
  if (typeof m.messageId !== 'number' && typeof m.messageId !== 'string') {
    return { code: SKIP_CODES.badRecord, reason: "messageId: expected the message's number" };
  }
  const c = counts(
    u.inputTokens,
    u.outputTokens,
    u.cacheCreationInputTokens,
    u.cacheReadInputTokens,
    'usage',
  );
  if (isProblem(c)) return c;
  const tags: Record<string, string> = {};
  const total = tokenCount(u.totalInputTokens, 'usage.totalInputTokens', -1);
  if (isProblem(total)) return total;
  if (total >= 0 && total !== c.input + c.cacheWrite + c.cacheRead) {
    if (c.cacheWrite === 0 && total === c.input && c.cacheRead <= c.input) {
      c.input -= c.cacheRead;
      tags.input_included_cache_read = 'true';
    } else {
      // Kept visible rather than "fixed": a total that disagrees means Amp changed its counting.
      tags.reported_total_input = String(total);
    }
  }
  const ts = timeOf(u.timestamp, 'usage.timestamp', ledger?.timestamp, b, tags);
  if (isProblem(ts)) return ts;
  const model = str(u.model) ?? str(ledger?.model);
  credits(u.credits ?? ledger?.credits, tags);
  return event(eventId(AMP_SOURCE_ID, b.threadId, m.messageId), ref, ts, model, c, tags, b);
}

/**
 * `usageLedger.events[]` `{id, timestamp, model, credits, tokens{input, output}, operationType, fromMessageId,
 * toMessageId}` (threads before ~2026-01-13) → one event; the cache counts, when any, sit on the message it answers.
 */
function ledgerEvent(
  v: Record<string, unknown>,
  cache: Record<string, unknown> | undefined,
  ref: string,
  b: Base,
): UnpricedEvent | LineProblem {
  const id = str(v.id);
  if (id === null) return { code: SKIP_CODES.badRecord, reason: 'id: expected the ledger event id' };
  if (!isObject(v.tokens)) return { code: SKIP_CODES.badRecord, reason: 'tokens: expected an object' };
  const c = counts(
    v.tokens.input,
    v.tokens.output,
    cache?.cacheCreationInputTokens,
    cache?.cacheReadInputTokens,
    'tokens',
  );
  if (isProblem(c)) return c;
  const tags: Record<string, string> = { amp_usage: 'ledger' };
  const op = str(v.operationType);
  if (op !== null) tags.amp_operation = op;
  const ts = timeOf(v.timestamp, 'timestamp', undefined, b, tags);
  if (isProblem(ts)) return ts;
  credits(v.credits, tags);
  return event(eventId(AMP_SOURCE_ID, b.threadId, 'ledger', id), ref, ts, str(v.model), c, tags, b);
}

function counts(
  input: unknown,
  output: unknown,
  cacheWrite: unknown,
  cacheRead: unknown,
  at: string,
): Counts | LineProblem {
  const i = tokenCount(input, `${at}.${at === 'usage' ? 'inputTokens' : 'input'}`, 0);
  if (isProblem(i)) return i;
  const o = tokenCount(output, `${at}.${at === 'usage' ? 'outputTokens' : 'output'}`, 0);
  if (isProblem(o)) return o;
  const w = tokenCount(cacheWrite, 'usage.cacheCreationInputTokens', 0);
  if (isProblem(w)) return w;
  const r = tokenCount(cacheRead, 'usage.cacheReadInputTokens', 0);
  if (isProblem(r)) return r;
  if (i + o + w + r > Number.MAX_SAFE_INTEGER) {
    return { code: SKIP_CODES.numberTooLarge, reason: `${at}: the sum of the counts is beyond 2^53` };
  }
  return { input: i, output: o, cacheWrite: w, cacheRead: r };
}

/**
 * The call's time: its own timestamp, else its ledger event's, else the thread's `created` (epoch ms), tagged
 * `ts_from=thread_created` since every such call of the thread then shares it.
 */
function timeOf(
  own: unknown,
  field: string,
  fromLedger: unknown,
  b: Base,
  tags: Record<string, string>,
): number | LineProblem {
  if (own !== undefined && own !== null) return timestampOf(own, field);
  if (fromLedger !== undefined && fromLedger !== null)
    return timestampOf(fromLedger, 'usageLedger timestamp');
  if (b.created === null) {
    return { code: SKIP_CODES.badRecord, reason: `${field}: missing, and the thread has no created time` };
  }
  tags.ts_from = 'thread_created';
  return timestampOf(b.created, 'created');
}

/**
 * Amp's `credits` for the call, kept as the number Amp wrote. Not a provider-reported cost: Amp does not document
 * the field's unit, and its price is not the provider's (no markup for individuals, +50% for Enterprise).
 */
function credits(v: unknown, tags: Record<string, string>): void {
  if (typeof v === 'number' && Number.isFinite(v)) tags.amp_credits = String(v);
}

function event(
  id: string,
  ref: string,
  ts: number,
  named: string | null,
  c: Counts,
  tags: Record<string, string>,
  b: Base,
): UnpricedEvent {
  if (named === null) tags.model_missing = 'true';
  const provider = named === null ? null : vendorOfModel(named);
  const defaults = b.ctx.defaults ?? {};
  return {
    event_id: id,
    source: AMP_SOURCE_ID,
    source_ref: ref,
    ingested_at: b.ctx.ingestedAt,
    ts,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    org: defaults.org ?? null,
    team: defaults.team ?? null,
    user: defaults.user ?? null,
    project: b.project,
    agent: 'amp',
    session_id: b.threadId,
    tags,
    provider,
    model: named ?? AMP_UNKNOWN_MODEL,
    model_requested: named,
    operation: provider === null ? null : (OPERATION[provider] ?? null),
    service_tier: null,
    route_id: null,
    requests: 1,
    input_tokens: c.input,
    cache_read_tokens: c.cacheRead,
    // Amp reports one cache-write count; Anthropic's default cache lifetime is 5 minutes.
    cache_write_5m_tokens: c.cacheWrite,
    cache_write_1h_tokens: 0,
    output_tokens: c.output,
    reasoning_tokens: 0,
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

/** The API each provider's calls go through, as its models are called by coding agents. */
const OPERATION: Record<string, string> = {
  anthropic: 'messages',
  openai: 'responses',
  google: 'generate_content',
  xai: 'chat',
};

/** The project: the last folder of the first workspace tree (`file:///home/ana/shop` → `shop`), else its name. */
function projectOf(trees: unknown[]): string | null {
  const first = trees[0];
  if (!isObject(first)) return null;
  const uri = str(first.uri);
  if (uri?.startsWith('file://')) {
    let p = uri.slice('file://'.length);
    try {
      p = decodeURIComponent(p);
    } catch {
      // a stray % is kept as written
    }
    const last = lastSegment(p);
    if (last) return last;
  }
  return str(first.displayName);
}

/** `T-….json` → `T-…`: the thread id when the document names none. */
function stem(path: string): string {
  return (path.split(/[\\/]/).at(-1) ?? path).replace(/\.json$/i, '');
}
