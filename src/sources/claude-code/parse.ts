import {
  CONTEXT_INPUT_TAG,
  emptyAttribution,
  INFERENCE_GEO_TAG,
  type UnpricedEvent,
} from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { parseUsd } from '../../money/money.js';
import { anthropicGeo, anthropicServiceTier } from '../../pricing/anthropic-tier.js';
import {
  isObject,
  isProblem,
  jsonLines,
  type LineProblem,
  SKIP_CODES,
  str,
  timestampOf,
  tokenCount,
} from '../json-line.js';
import { lastSegment } from '../path-parts.js';
import type { ResumableParser, ResumableSource, ResumeOptions } from '../resumable.js';
import type { ParseContext, Sink } from '../source.js';
import { describeClaudePath } from './project.js';

export const CLAUDE_CODE_SOURCE_ID = 'claude-code';

/** Claude Code writes this model name on messages it made up itself (e.g. an API error shown as a reply). */
const SYNTHETIC_MODEL = '<synthetic>';

interface Held {
  event: UnpricedEvent;
  /** Token total of the kept line: the line of a response with the largest total wins. */
  total: number;
  /** The response's first line: where a later import resumes when the response is held back. */
  firstLine: number;
}

/**
 * Claude Code session logs (`projects/<project>/<session>.jsonl`, `<session>/subagents/agent-*.jsonl`).
 *
 * Claude Code writes one line per content block of a response; the lines share `message.id` and `requestId`, and
 * early ones carry a placeholder `output_tokens`. So one event is kept per (message.id, requestId): the line with
 * the largest token total, stamped with the earliest timestamp of the response (the call start). Events are held
 * until `end()` because the winning line comes last.
 *
 * @example
 * const parser = claudeCodeSource.open({ path, ingestedAt, defaults: { user: 'ana' } }, sink);
 * for (const [i, text] of lines.entries()) parser.line(text, i + 1);
 * parser.end();
 */
export const claudeCodeSource: ResumableSource = {
  id: CLAUDE_CODE_SOURCE_ID,
  open(ctx, sink) {
    return openClaudeLog(ctx, sink, { holdTail: false });
  },
  openResumable: openClaudeLog,
};

/**
 * Responses follow one another in a log (a subagent writes to a file of its own), so only the last response group
 * can still grow: `resumeLine()` names its first line, for the next import to read it whole, and with `holdTail` it
 * is kept back. Groups before it are final because a newer response has started. A settled log's last group is
 * stored, and still read again whole if the log grows: its lines then have the id and the earliest timestamp it was
 * stored with, so the store drops the repeat, where read on from its end they would have a later one.
 */
function openClaudeLog(ctx: ParseContext, sink: Sink, o: ResumeOptions): ResumableParser {
  const where = describeClaudePath(ctx.path);
  const held = new Map<string, Held>();
  let lastKey: string | null = null;
  let resume: number | null = null;
  const parser = jsonLines(
    ctx,
    sink,
    (value, lineNo) => {
      const read = readLine(value, lineNo, ctx, where);
      if (read === null || isProblem(read)) return read ?? undefined;
      lastKey = read.key;
      const prior = held.get(read.key);
      if (!prior) {
        held.set(read.key, { event: read.event, total: read.total, firstLine: lineNo });
      } else {
        const ts = Math.min(prior.event.ts, read.event.ts);
        // Searches are counted cumulatively, as the tokens are: the response ran as many as any of its lines says.
        const searches = Math.max(prior.event.web_search_requests, read.event.web_search_requests);
        // Ties keep the later line: it is the one Claude Code wrote when the response was complete.
        if (read.total >= prior.total)
          held.set(read.key, {
            event: { ...read.event, event_id: prior.event.event_id, ts, web_search_requests: searches },
            total: read.total,
            firstLine: prior.firstLine,
          });
        else {
          prior.event.ts = ts;
          prior.event.web_search_requests = searches;
        }
      }
      return undefined;
    },
    () => {
      const last = lastKey === null ? undefined : held.get(lastKey);
      for (const h of held.values()) if (h !== last || !o.holdTail) sink.event(h.event);
      resume = last ? last.firstLine : null;
      held.clear();
    },
    // Only assistant lines with `message.usage` become events; the rest (prompts, tool output) is most of the bytes.
    { mustContain: '"usage"' },
  );
  return { line: parser.line, skipped: parser.skipped, end: parser.end, resumeLine: () => resume };
}

interface Read {
  key: string;
  total: number;
  event: UnpricedEvent;
}

/** One log line → the event it stands for, null when the line is not an API call, or the problem with it. */
function readLine(
  value: unknown,
  lineNo: number,
  ctx: ParseContext,
  where: ReturnType<typeof describeClaudePath>,
): Read | LineProblem | null {
  if (!isObject(value)) return { code: SKIP_CODES.badRecord, reason: 'expected a JSON object per line' };
  const message = value.message;
  if (!isObject(message) || message.usage === undefined) return null;
  if (value.isApiErrorMessage === true || message.model === SYNTHETIC_MODEL) return null;
  const usage = message.usage;
  if (!isObject(usage)) return { code: SKIP_CODES.badRecord, reason: 'message.usage: expected an object' };
  const model = str(message.model);
  if (model === null) return { code: SKIP_CODES.badRecord, reason: 'message.model: expected the model name' };
  const ts = timestampOf(value.timestamp, 'timestamp');
  if (isProblem(ts)) return ts;

  const tokens = readUsage(usage);
  if (isProblem(tokens)) return tokens;

  const messageId = str(message.id);
  const requestId = str(value.requestId);
  const sessionId = str(value.sessionId) ?? where.sessionFromPath;
  const lineId = str(value.uuid) ?? `line:${lineNo}`;
  const key = responseKey(messageId, requestId, tokens, lineId);
  // Without a requestId the id is the first line's (the merge keeps it), as it was before such lines were grouped.
  const id =
    messageId && requestId
      ? eventId(CLAUDE_CODE_SOURCE_ID, messageId, requestId)
      : eventId(CLAUDE_CODE_SOURCE_ID, sessionId, lineId);

  const tags: Record<string, string> = {};
  const version = str(value.version);
  if (version) tags.version = version;
  const branch = str(value.gitBranch);
  if (branch) tags.git_branch = branch;
  if (value.isSidechain === true) tags.sidechain = 'true';
  if (where.subagent) tags.subagent = where.subagent;
  const agentId = str(value.agentId);
  if (agentId) tags.agent_id = agentId;
  const geo = anthropicGeo(usage.inference_geo);
  if (geo) tags[INFERENCE_GEO_TAG] = geo;
  if (tokens.context !== null) tags[CONTEXT_INPUT_TAG] = String(tokens.context);

  const cwd = str(value.cwd);
  const defaults = ctx.defaults ?? {};
  const event: UnpricedEvent = {
    event_id: id,
    source: CLAUDE_CODE_SOURCE_ID,
    source_ref: `${ctx.path}:${lineNo}`,
    ingested_at: ctx.ingestedAt,
    ts,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    org: defaults.org ?? null,
    team: defaults.team ?? null,
    user: defaults.user ?? null,
    project: (cwd ? lastSegment(cwd) : null) ?? where.projectFolder ?? defaults.project ?? null,
    agent: 'claude-code',
    session_id: sessionId,
    tags,
    provider: 'anthropic',
    model,
    model_requested: model,
    operation: 'messages',
    service_tier: anthropicServiceTier(str(usage.service_tier), usage.speed),
    route_id: null,
    requests: 1,
    ...tokens.usage,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
    energy_j: null,
    energy_source: null,
    status: 'ok',
    error_type: null,
    provider_cost_usd: costOf(value.costUSD),
  };
  return { key, total: tokens.total, event };
}

/**
 * Which lines are one response. Claude Code's own lines carry `message.id` and `requestId`. Behind an LLM gateway
 * that sends no `request-id` header the lines have no `requestId` but are still written one per content block
 * (ccusage/ccusage#976, #985), and some relays give every response the same `message.id` (ccusage/ccusage#1635): so
 * such lines are one response when they share the id and the input side (input, cache read, cache write), which the
 * lines of a response repeat (every response of the 2.1.38–2.1.39 reference logs does) and a later call of the same
 * conversation, whose context has grown, does not. A line with no `message.id` is a response of its own.
 */
function responseKey(messageId: string | null, requestId: string | null, t: Usage, lineId: string): string {
  if (messageId && requestId) return `${messageId}\u0000${requestId}`;
  if (!messageId) return `\u0001${lineId}`;
  return `\u0002${messageId}\u0000${t.inputSide}`;
}

type TokenFields = Pick<
  UnpricedEvent,
  | 'input_tokens'
  | 'cache_read_tokens'
  | 'cache_write_5m_tokens'
  | 'cache_write_1h_tokens'
  | 'output_tokens'
  | 'reasoning_tokens'
  | 'web_search_requests'
>;

/** Token counts of a usage block, or of one of its iterations (they name them alike). */
interface Counts {
  input: number;
  read: number;
  write5m: number;
  write1h: number;
  output: number;
}

/**
 * Anthropic usage is already in the ledger's convention: `input_tokens` excludes cache reads and writes. The
 * 5m/1h split comes from `cache_creation`; the 1h part is taken from it and the rest of
 * `cache_creation_input_tokens` counted as 5m, so the writes always add up to the total Anthropic billed (and all
 * of it is 5m when the split is absent, as in logs before the 1h cache existed).
 */
function readCounts(u: Record<string, unknown>, at: string): Counts | LineProblem {
  const input = tokenCount(u.input_tokens, `${at}.input_tokens`);
  if (isProblem(input)) return input;
  const output = tokenCount(u.output_tokens, `${at}.output_tokens`);
  if (isProblem(output)) return output;
  const read = tokenCount(u.cache_read_input_tokens, `${at}.cache_read_input_tokens`, 0);
  if (isProblem(read)) return read;
  const split = isObject(u.cache_creation) ? u.cache_creation : null;
  const w5 = tokenCount(
    split?.ephemeral_5m_input_tokens,
    `${at}.cache_creation.ephemeral_5m_input_tokens`,
    0,
  );
  if (isProblem(w5)) return w5;
  const w1 = tokenCount(
    split?.ephemeral_1h_input_tokens,
    `${at}.cache_creation.ephemeral_1h_input_tokens`,
    0,
  );
  if (isProblem(w1)) return w1;
  const writes = tokenCount(u.cache_creation_input_tokens, `${at}.cache_creation_input_tokens`, w5 + w1);
  if (isProblem(writes)) return writes;
  if (w1 > writes) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${at}.cache_creation.ephemeral_1h_input_tokens (${w1}) exceeds cache_creation_input_tokens (${writes})`,
    };
  }
  return { input, read, write5m: writes - w1, write1h: w1, output };
}

interface Usage {
  usage: TokenFields;
  /** Every token of the line, compactions included: the line of a response with the largest wins. */
  total: number;
  /** The answer's own input, cache included, when compaction tokens were added beside it (else null). */
  context: number | null;
  /** The top-level input, cache read and cache write counts, which every line of a response repeats. */
  inputSide: string;
}

/**
 * The top-level counts, plus server-side compaction: a sampling step of its own whose tokens are billed but "not
 * included in the top-level `usage` fields" (@anthropic-ai/sdk resources/beta/messages/messages.d.ts
 * `BetaUsage.iterations`, `BetaCompactionIterationUsage`), so each `compaction` entry is added. The other entries
 * (`message`: the answer's own sampling steps) are what the top-level fields already count. Thinking tokens are
 * inside `output_tokens`; the API says how many in `output_tokens_details.thinking_tokens` ("Always ≤
 * `output_tokens`", @anthropic-ai/sdk resources/messages/messages.d.ts `OutputTokensDetails`), kept as
 * `reasoning_tokens` (0 when absent, as in logs before it existed; capped at the line's output, which on a
 * response's early lines is a placeholder). The WebSearch tool's searches are `server_tool_use.web_search_requests`
 * (billed per search); its `web_fetch_requests` cost tokens only.
 */
function readUsage(usage: Record<string, unknown>): Usage | LineProblem {
  const own = readCounts(usage, 'message.usage');
  if (isProblem(own)) return own;
  const tools = isObject(usage.server_tool_use) ? usage.server_tool_use : null;
  const searches = tokenCount(
    tools?.web_search_requests,
    'message.usage.server_tool_use.web_search_requests',
    0,
  );
  if (isProblem(searches)) return searches;
  const details = isObject(usage.output_tokens_details) ? usage.output_tokens_details : null;
  const thinking = tokenCount(
    details?.thinking_tokens,
    'message.usage.output_tokens_details.thinking_tokens',
    0,
  );
  if (isProblem(thinking)) return thinking;
  const sum = { ...own };
  let compacted = false;
  const iterations = Array.isArray(usage.iterations) ? usage.iterations : [];
  for (const [i, entry] of iterations.entries()) {
    if (!isObject(entry) || entry.type !== 'compaction') continue;
    const c = readCounts(entry, `message.usage.iterations[${i}]`);
    if (isProblem(c)) return c;
    sum.input += c.input;
    sum.read += c.read;
    sum.write5m += c.write5m;
    sum.write1h += c.write1h;
    sum.output += c.output;
    compacted = true;
  }
  const fields: TokenFields = {
    input_tokens: sum.input,
    cache_read_tokens: sum.read,
    cache_write_5m_tokens: sum.write5m,
    cache_write_1h_tokens: sum.write1h,
    output_tokens: sum.output,
    reasoning_tokens: Math.min(thinking, own.output),
    web_search_requests: searches,
  };
  const total = sum.input + sum.output + sum.read + sum.write5m + sum.write1h;
  if (total > Number.MAX_SAFE_INTEGER) {
    return { code: SKIP_CODES.numberTooLarge, reason: `message.usage: token total ${total} is beyond 2^53` };
  }
  const context = compacted ? own.input + own.read + own.write5m + own.write1h : null;
  const inputSide = `${own.input}\u0000${own.read}\u0000${own.write5m + own.write1h}`;
  return { usage: fields, total, context, inputSide };
}

/** `costUSD` (older Claude Code versions) kept as the provider-reported cost; unreadable values are dropped. */
function costOf(v: unknown): bigint | null {
  if (typeof v !== 'number' && typeof v !== 'string') return null;
  try {
    return parseUsd(v);
  } catch {
    return null;
  }
}
