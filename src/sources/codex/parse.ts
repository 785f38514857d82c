import { emptyAttribution, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import {
  isObject,
  isProblem,
  jsonLines,
  type LineProblem,
  SKIP_CODES,
  str,
  timestampOf,
} from '../json-line.js';
import { lastSegment } from '../path-parts.js';
import type { ResumableSource } from '../resumable.js';
import type { ParseContext, Sink } from '../source.js';
import {
  type CodexUsage,
  type LedgerTokens,
  readCodexUsage,
  sameUsage,
  toLedgerTokens,
  usageDelta,
} from './usage.js';

export const CODEX_SOURCE_ID = 'codex';

/**
 * The model assumed when a rollout names none (Codex CLI before turn_context lines existed, mid-2025). It is what
 * Codex then defaulted to, and ccusage assumes the same; events carrying it are tagged `model_guessed=true`.
 */
export const CODEX_FALLBACK_MODEL = 'gpt-5';

const UUID_IN_NAME = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl(?:\.zst)?$/i;

/**
 * Longest pause (µs) inside the burst in which Codex copies a parent's history into a forked or subagent rollout.
 * The copy is written in one go, stamped with the fork instant; the child's own first turn follows a model call.
 * ccusage measured bursts of 10-40 ms and pauses of 5.8-15.3 s after them (ccusage/ccusage
 * rust/adapters/codex/src/parser.rs, CODEX_REWRITTEN_BURST_PAUSE_MS), and uses the same 1 s.
 */
const REPLAY_BURST_GAP_US = 1_000_000;

/**
 * Where a forked rollout is in its copy of the parent's history: `meta` (nothing seen yet; the burst may start at the
 * fork's own session_meta), `probe` (the first usage line came late after session_meta and waits for the next one to
 * tell whether it opened a burst), `burst` (inside the copy), `done` (the child's own lines; also every non-fork).
 */
type ReplayPhase = 'meta' | 'probe' | 'burst' | 'done';

/**
 * Codex CLI rollouts (`sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`). Usage arrives in
 * `event_msg`/`token_count` lines; one event per turn from `last_token_usage`, or, when that is missing, from the
 * difference of successive `total_token_usage`. Codex repeats a token_count line (same cumulative totals) when it
 * only refreshes rate limits: such a repeat is not a new turn and is dropped silently. A forked or subagent rollout
 * opens with a copy of its parent's history; the copied turns are not counted again (`replayed`). A remote compaction
 * request, which no token_count total holds, is counted from its `token_usage_record` once a `compacted` line names it
 * (`usageRecord`, `compacted`; docs/sources/codex.md "Compaction requests").
 *
 * Event ids are (session id, cumulative totals) — unique per turn within a session and the same on every
 * re-import — or (session id, line number) for lines without totals. Events stream out as lines arrive. A grown
 * rollout is read on from where the last import stopped, with the session, model and totals it had reached
 * (`openResumable`, `state()`).
 */
export const codexSource: ResumableSource = {
  id: CODEX_SOURCE_ID,
  open(ctx, sink) {
    const state = new RolloutState(ctx, sink);
    return jsonLines(
      ctx,
      sink,
      (value, lineNo) => state.line(value, lineNo),
      () => state.flushProbe(),
    );
  },
  /**
   * Every token_count line is final when written, so nothing else is held back; the context travels as `state()`.
   * The one exception is a fork's first usage line that waits for the next to say whether it opened the copy of the
   * parent's history (`probe`): while the rollout may still be written (an import landing inside Codex's copy), it is
   * neither emitted nor passed over: the next import reads again from its line with the state from before it.
   */
  openResumable(ctx, sink, o) {
    const state = new RolloutState(ctx, sink);
    if (o.state) state.restore(o.state);
    const p = jsonLines(
      ctx,
      sink,
      (value, lineNo) => state.line(value, lineNo),
      () => {
        if (!o.holdTail) state.flushProbe();
      },
    );
    return {
      line: p.line,
      end: p.end,
      resumeLine: () => state.heldProbe()?.line ?? null,
      state: () => state.heldProbe()?.before ?? state.snapshot(),
    };
  },
};

/** What a rollout's earlier lines decided, carried to an import that reads on from the middle of the file. */
interface RolloutSnapshot {
  sessionId: string;
  sessionKnown: boolean;
  cwd: string | null;
  model: string | null;
  provider: string | null;
  previous: CodexUsage | null;
  tags: Record<string, string>;
  /** Absent in snapshots written before the tier was read. */
  serviceTier?: string | null;
  /** Absent in snapshots written before forked rollouts were recognised (read as `done`). */
  replayPhase?: ReplayPhase;
  replayLast?: number | null;
  /** Absent in snapshots written before compaction requests were read. */
  pending?: PendingRecord[];
  latestRecord?: string | null;
  compactions?: string[];
}

/**
 * A `token_usage_record` line no token_count advance and no `compacted` line has claimed yet: it may still turn out to
 * be a remote compaction request (the `compacted` line that names it follows).
 */
interface PendingRecord {
  responseId: string;
  usage: CodexUsage;
  /** `thread_token_usage`: the thread's totals after this response, when Codex added it to them. */
  thread: CodexUsage | null;
  ts: number;
  line: number;
}

/**
 * How many unclaimed records, and names of compactions whose record has not been seen, are kept. Codex writes a
 * compaction's record and its `compacted` line one after the other, and every other response's record is claimed by
 * the token_count line that follows it, so a handful is plenty; the bound keeps the saved parser state small.
 */
const PENDING_LIMIT = 16;

class RolloutState {
  private sessionId: string;
  private sessionKnown = false;
  private cwd: string | null = null;
  private model: string | null = null;
  private provider: string | null = null;
  private previous: CodexUsage | null = null;
  private tags: Record<string, string> = {};
  /** The thread's service tier as its settings last said (sticky until changed), or null when never said. */
  private serviceTier: string | null = null;
  /** Copied parent history at the head of a forked rollout (REPLAY_BURST_GAP_US); `done` for other rollouts. */
  private replayPhase: ReplayPhase = 'done';
  /** Timestamp (µs) the next line of the burst must follow within REPLAY_BURST_GAP_US. */
  private replayLast: number | null = null;
  /**
   * `probe`: the first usage line after a late start, emitted unless the next usage line continues a burst; with its
   * line and the snapshot from before it, where an import that ends on it reads on from (`heldProbe`).
   */
  private probe: { event: UnpricedEvent; ts: number; line: number; before: string } | null = null;
  /** Recent `token_usage_record`s not yet claimed by a token_count advance or a `compacted` line (PENDING_LIMIT). */
  private pending: PendingRecord[] = [];
  /** Response id of the latest `token_usage_record` line; the next token_count advance may be that response. */
  private latestRecord: string | null = null;
  /** `compaction_response_id`s of `compacted` lines whose record has not been seen yet (PENDING_LIMIT). */
  private compactions: string[] = [];

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: Sink,
  ) {
    const file = ctx.path.split(/[\\/]/).at(-1) ?? ctx.path;
    this.sessionId = UUID_IN_NAME.exec(file)?.[1] ?? file.replace(/\.jsonl(?:\.zst)?$/i, '');
  }

  snapshot(): string {
    const snapshot: RolloutSnapshot = {
      sessionId: this.sessionId,
      sessionKnown: this.sessionKnown,
      cwd: this.cwd,
      model: this.model,
      provider: this.provider,
      previous: this.previous,
      tags: this.tags,
      serviceTier: this.serviceTier,
      replayPhase: this.replayPhase,
      replayLast: this.replayLast,
      pending: this.pending,
      latestRecord: this.latestRecord,
      compactions: this.compactions,
    };
    return JSON.stringify(snapshot);
  }

  /** A snapshot from an older version or a damaged state is ignored: the lines alone are then the context. */
  restore(text: string): void {
    try {
      const s = JSON.parse(text) as RolloutSnapshot;
      this.sessionId = s.sessionId;
      this.sessionKnown = s.sessionKnown;
      this.cwd = s.cwd;
      this.model = s.model;
      this.provider = s.provider;
      // Snapshots written before cache writes were read have no `cacheWrite`.
      this.previous = s.previous ? { ...s.previous, cacheWrite: s.previous.cacheWrite ?? 0 } : null;
      this.tags = { ...s.tags };
      this.serviceTier = s.serviceTier ?? null;
      this.replayPhase = s.replayPhase ?? 'done';
      this.replayLast = s.replayLast ?? null;
      this.pending = (s.pending ?? []).map((r) => ({ ...r }));
      this.latestRecord = s.latestRecord ?? null;
      this.compactions = [...(s.compactions ?? [])];
    } catch {}
  }

  line(value: unknown, lineNo: number): LineProblem | undefined {
    if (!isObject(value)) return { code: SKIP_CODES.badRecord, reason: 'expected a JSON object per line' };
    const payload = isObject(value.payload) ? value.payload : null;
    if (value.type === 'session_meta' && payload) this.meta(payload, value.timestamp);
    else if (value.type === 'turn_context' && payload) this.turn(payload);
    else if (value.type === 'event_msg' && payload?.type === 'thread_settings_applied')
      this.settings(payload.thread_settings);
    else if (value.type === 'event_msg' && payload?.type === 'token_count')
      return this.tokens(value, payload, lineNo);
    else if (value.type === 'token_usage_record' && payload) this.usageRecord(value, payload, lineNo);
    else if (value.type === 'compacted' && payload) this.compacted(payload);
    return undefined;
  }

  /**
   * A forked rollout repeats its parent's session_meta after its own: the first one names the session. When that
   * first one says the rollout was forked (`forked_from_id`) or spawned as a subagent with the parent's history
   * (`source.subagent.thread_spawn.parent_thread_id`), the parent's history follows it, token_count lines included,
   * unless the thread is paginated (`copiesParentUsage`).
   */
  private meta(p: Record<string, unknown>, timestamp: unknown): void {
    if (this.sessionKnown) return;
    this.sessionKnown = true;
    if (forkParent(p) !== null && copiesParentUsage(p)) {
      const ts = timestampOf(timestamp, 'timestamp');
      this.replayPhase = 'meta';
      this.replayLast = isProblem(ts) ? null : ts;
    }
    this.sessionId = str(p.id) ?? this.sessionId;
    this.cwd = str(p.cwd) ?? this.cwd;
    this.provider = str(p.model_provider);
    const version = str(p.cli_version);
    if (version) this.tags.cli_version = version;
    const originator = str(p.originator);
    if (originator) this.tags.originator = originator;
    const branch = isObject(p.git) ? str(p.git.branch) : null;
    if (branch) this.tags.git_branch = branch;
    if (isObject(p.source) && p.source.subagent !== undefined) this.tags.subagent = 'true';
  }

  /**
   * `thread_settings_applied` (a /fast or /model change, and at thread start) carries the thread's `service_tier`;
   * a settings change that leaves it out keeps the one before. Codex's fast mode is OpenAI priority processing:
   * it sends `priority` for it, and older versions wrote the alias `fast`.
   */
  private settings(s: unknown): void {
    if (!isObject(s)) return;
    const tier = str(s.service_tier);
    if (tier !== null) this.serviceTier = tier.toLowerCase() === 'fast' ? 'priority' : tier;
  }

  private turn(p: Record<string, unknown>): void {
    this.settings(p);
    this.model = str(p.model) ?? this.model;
    this.cwd = str(p.cwd) ?? this.cwd;
    const effort = str(p.effort);
    if (effort) this.tags.reasoning_effort = effort;
  }

  private tokens(
    line: Record<string, unknown>,
    p: Record<string, unknown>,
    lineNo: number,
  ): LineProblem | undefined {
    // token_count lines with `info: null` only carry rate limits.
    if (p.info === null || p.info === undefined) return undefined;
    if (!isObject(p.info)) return { code: SKIP_CODES.badRecord, reason: 'payload.info: expected an object' };
    const info = p.info;
    const total = readCodexUsage(info.total_token_usage, 'payload.info.total_token_usage');
    if (isProblem(total)) return total;
    const last = readCodexUsage(info.last_token_usage, 'payload.info.last_token_usage');
    if (isProblem(last)) return last;
    if (total && this.previous && sameUsage(total, this.previous)) return undefined;
    // Taken while a fork's copy may still start here: the state a later import re-reads this line from.
    const before = this.replayPhase === 'meta' ? this.snapshot() : null;
    const previous = this.previous;
    if (total) this.previous = total;

    const turn = last ?? (total ? usageDelta(total, previous, 'payload.info.total_token_usage') : null);
    if (turn === null) {
      return {
        code: SKIP_CODES.badRecord,
        reason: 'payload.info: expected last_token_usage or total_token_usage',
      };
    }
    if (isProblem(turn)) return turn;
    const tokens = toLedgerTokens(
      turn,
      last ? 'payload.info.last_token_usage' : 'payload.info.total_token_usage',
    );
    if (isProblem(tokens)) return tokens;
    this.claimByAdvance(turn, total);
    if (turn.input === 0 && turn.output === 0) return undefined;
    const ts = timestampOf(line.timestamp, 'timestamp');
    if (isProblem(ts)) return ts;

    const event = this.event(
      total
        ? eventId(
            CODEX_SOURCE_ID,
            this.sessionId,
            'total',
            total.input,
            total.cached,
            total.output,
            total.reasoning,
            total.total,
          )
        : eventId(CODEX_SOURCE_ID, this.sessionId, 'line', lineNo),
      lineNo,
      ts,
      tokens,
      str(info.model) ?? str(p.model) ?? this.model,
      {},
    );
    if (!this.replayed(event, ts, lineNo, before)) this.sink.event(event);
    return undefined;
  }

  /** One ledger event with the rollout's context as it stands: session, project, provider, tier and tags. */
  private event(
    id: string,
    lineNo: number,
    ts: number,
    tokens: LedgerTokens,
    named: string | null,
    extraTags: Record<string, string>,
  ): UnpricedEvent {
    const tags = { ...this.tags, ...extraTags };
    if (named === null) tags.model_guessed = 'true';
    const model = named ?? CODEX_FALLBACK_MODEL;
    const defaults = this.ctx.defaults ?? {};
    return {
      event_id: id,
      source: CODEX_SOURCE_ID,
      source_ref: `${this.ctx.path}:${lineNo}`,
      ingested_at: this.ctx.ingestedAt,
      ts,
      duration_ms: null,
      ttft_ms: null,
      ...emptyAttribution(),
      org: defaults.org ?? null,
      team: defaults.team ?? null,
      user: defaults.user ?? null,
      project: (this.cwd ? lastSegment(this.cwd) : null) ?? defaults.project ?? null,
      agent: 'codex',
      session_id: this.sessionId,
      tags,
      provider: this.provider ?? 'openai',
      model,
      model_requested: named,
      operation: 'responses',
      service_tier: this.serviceTier,
      route_id: null,
      requests: 1,
      ...tokens,
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

  /**
   * A `token_usage_record` line: the usage of one model response (openai/codex codex-rs/protocol/src/protocol.rs
   * `TokenUsageRecord`). Most are the responses token_count lines count anyway; one is kept until a token_count
   * advance claims it (`claimByAdvance`) or a `compacted` line names it as its compaction request (`compacted`). A
   * record of another thread (a parent's, copied or forwarded) is not this rollout's; malformed records are ignored,
   * as token_count lines stay the count.
   */
  private usageRecord(line: Record<string, unknown>, p: Record<string, unknown>, lineNo: number): void {
    this.latestRecord = null;
    const responseId = str(p.response_id)?.trim();
    if (!responseId) return;
    const thread = str(p.thread_id);
    if (thread !== null && this.sessionKnown && thread !== this.sessionId) return;
    const usage = readCodexUsage(p.usage, 'payload.usage');
    if (usage === null || isProblem(usage) || (usage.input === 0 && usage.output === 0)) return;
    const threadUsage = readCodexUsage(p.thread_token_usage, 'payload.thread_token_usage');
    const ts = timestampOf(line.timestamp, 'timestamp');
    if (isProblem(ts)) return;
    this.latestRecord = responseId;
    const record: PendingRecord = {
      responseId,
      usage,
      thread: threadUsage === null || isProblem(threadUsage) ? null : threadUsage,
      ts,
      line: lineNo,
    };
    const named = this.compactions.indexOf(responseId);
    if (named >= 0) {
      this.compactions.splice(named, 1);
      this.emitCompaction(record);
      return;
    }
    this.pending = this.pending.filter((r) => r.responseId !== responseId);
    this.pending.push(record);
    if (this.pending.length > PENDING_LIMIT) this.pending.shift();
  }

  /**
   * A token_count advance that is the latest record's response — its usage is the turn's, or its thread totals are
   * the new totals — already counts it (a local compaction is such a response), so no `compacted` line may count it
   * again. ccusage matches the same way (ccusage/ccusage rust/adapters/codex/src/parser.rs).
   */
  private claimByAdvance(turn: CodexUsage, total: CodexUsage | null): void {
    const id = this.latestRecord;
    if (id === null) return;
    const i = this.pending.findIndex((r) => r.responseId === id);
    if (i < 0) return;
    const r = this.pending[i]!;
    if (sameUsage(r.usage, turn) || (r.thread !== null && total !== null && sameUsage(r.thread, total))) {
      this.pending.splice(i, 1);
      this.latestRecord = null;
    }
  }

  /**
   * A `compacted` line names its compaction request in `compaction_response_id` (null for a compaction made without
   * one). The record of that response, unless a token_count advance claimed it, is a remote compaction's usage, which
   * no token_count total holds. `latest_token_usage_record` is a snapshot for resuming, not a response of its own,
   * and a fork's copy of the line drops it: it is never counted.
   */
  private compacted(p: Record<string, unknown>): void {
    const responseId = str(p.compaction_response_id)?.trim();
    if (!responseId) return;
    const i = this.pending.findIndex((r) => r.responseId === responseId);
    if (i >= 0) {
      const [record] = this.pending.splice(i, 1);
      if (this.latestRecord === responseId) this.latestRecord = null;
      this.emitCompaction(record!);
      return;
    }
    // Named before its record was seen: remembered in case the record follows.
    if (!this.compactions.includes(responseId)) {
      this.compactions.push(responseId);
      if (this.compactions.length > PENDING_LIMIT) this.compactions.shift();
    }
  }

  /** A remote compaction request as one event, id from its response id: the same on every import and for any copy. */
  private emitCompaction(r: PendingRecord): void {
    const tokens = toLedgerTokens(r.usage, 'payload.usage');
    if (isProblem(tokens)) {
      this.sink.skip({ ref: `${this.ctx.path}:${r.line}`, code: tokens.code, reason: tokens.reason });
      return;
    }
    this.sink.event(
      this.event(eventId(CODEX_SOURCE_ID, 'response', r.responseId), r.line, r.ts, tokens, this.model, {
        codex_compaction: 'remote',
      }),
    );
  }

  /**
   * Whether a turn is part of the parent's history that Codex copied into this forked rollout. Codex persists the
   * fork's initial history as-is, token_count lines included, each line stamped when written (openai/codex
   * codex-rs/core/src/session/: record_initial_history, InitialHistory::Forked → persist_rollout_items;
   * codex-rs/rollout/src/policy.rs: EventMsg::TokenCount is persisted), so the copy is a burst at the fork instant.
   * Those turns were made and counted in the parent's rollout; here they only move the cumulative baseline.
   */
  private replayed(event: UnpricedEvent, ts: number, line: number, before: string | null): boolean {
    const near = (from: number | null) => from !== null && ts >= from && ts - from <= REPLAY_BURST_GAP_US;
    switch (this.replayPhase) {
      case 'done':
        return false;
      case 'meta':
        if (near(this.replayLast)) {
          this.replayPhase = 'burst';
          this.replayLast = ts;
          return true;
        }
        // The copy may start late after session_meta (a large parent history takes time to load): a first usage
        // line opens a burst only if the next one follows within the gap.
        this.replayPhase = 'probe';
        this.probe = { event, ts, line, before: before ?? this.snapshot() };
        return true;
      case 'probe':
        if (near(this.probe?.ts ?? null)) {
          this.probe = null;
          this.replayPhase = 'burst';
          this.replayLast = ts;
          return true;
        }
        this.flushProbe();
        return false;
      case 'burst':
        if (near(this.replayLast)) {
          this.replayLast = ts;
          return true;
        }
        this.replayPhase = 'done';
        this.replayLast = null;
        return false;
      default:
        return this.replayPhase satisfies never;
    }
  }

  /** The probed usage line still waiting for the next one, with the state from before it; null when none waits. */
  heldProbe(): { line: number; before: string } | null {
    return this.probe && { line: this.probe.line, before: this.probe.before };
  }

  /** A probed usage line that no burst followed is the child's own turn. */
  flushProbe(): void {
    if (this.probe) this.sink.event(this.probe.event);
    this.probe = null;
    if (this.replayPhase === 'probe') {
      this.replayPhase = 'done';
      this.replayLast = null;
    }
  }
}

/** The parent a forked or subagent rollout copied its history from, per its session_meta payload. */
function forkParent(p: Record<string, unknown>): string | null {
  const source = isObject(p.source) ? p.source : null;
  const subagent = source && isObject(source.subagent) ? source.subagent : null;
  const spawn = subagent && isObject(subagent.thread_spawn) ? subagent.thread_spawn : null;
  return str(p.forked_from_id) ?? (spawn ? str(spawn.parent_thread_id) : null);
}

/**
 * Whether a fork's rollout opens with the parent's token_count lines. A paginated thread's does not: a fork into it
 * copies the parent's history without them (openai/codex codex-rs/core/src/agent/control/spawn.rs
 * `spawn_forked_thread` drops `EventMsg::TokenCount` when the destination is `ThreadHistoryMode::Paginated`), and a
 * `history_base` leaves the inherited prefix in the parent's rollout, where it is counted.
 */
function copiesParentUsage(p: Record<string, unknown>): boolean {
  return p.history_mode !== 'paginated' && !isObject(p.history_base);
}
