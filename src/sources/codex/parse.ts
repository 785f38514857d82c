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
import type { ResumableSource } from '../resumable.js';
import type { ParseContext, Sink } from '../source.js';
import { type CodexUsage, readCodexUsage, sameUsage, toLedgerTokens, usageDelta } from './usage.js';

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
 * opens with a copy of its parent's history; the copied turns are not counted again (`replayed`).
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
  /** Every token_count line is final when written, so nothing is held back; the context travels as `state()`. */
  openResumable(ctx, sink, o) {
    const state = new RolloutState(ctx, sink);
    if (o.state) state.restore(o.state);
    const p = jsonLines(
      ctx,
      sink,
      (value, lineNo) => state.line(value, lineNo),
      () => state.flushProbe(),
    );
    return { line: p.line, end: p.end, resumeLine: () => null, state: () => state.snapshot() };
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
}

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
  /** `probe`: the first usage line after a late start, emitted unless the next usage line continues a burst. */
  private probe: { event: UnpricedEvent; ts: number } | null = null;

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: Sink,
  ) {
    const file = ctx.path.split(/[\\/]/).at(-1) ?? ctx.path;
    this.sessionId = UUID_IN_NAME.exec(file)?.[1] ?? file.replace(/\.jsonl(?:\.zst)?$/i, '');
  }

  snapshot(): string {
    const {
      sessionId,
      sessionKnown,
      cwd,
      model,
      provider,
      previous,
      tags,
      serviceTier,
      replayPhase,
      replayLast,
    } = this;
    return JSON.stringify({
      sessionId,
      sessionKnown,
      cwd,
      model,
      provider,
      previous,
      tags,
      serviceTier,
      replayPhase,
      replayLast,
    } satisfies RolloutSnapshot);
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
    return undefined;
  }

  /**
   * A forked rollout repeats its parent's session_meta after its own: the first one names the session. When that
   * first one says the rollout was forked (`forked_from_id`) or spawned as a subagent with the parent's history
   * (`source.subagent.thread_spawn.parent_thread_id`), the parent's history follows it, token_count lines included.
   */
  private meta(p: Record<string, unknown>, timestamp: unknown): void {
    if (this.sessionKnown) return;
    this.sessionKnown = true;
    if (forkParent(p) !== null) {
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
    if (turn.input === 0 && turn.output === 0) return undefined;
    const ts = timestampOf(line.timestamp, 'timestamp');
    if (isProblem(ts)) return ts;

    const named = str(info.model) ?? str(p.model) ?? this.model;
    const tags = { ...this.tags };
    if (named === null) tags.model_guessed = 'true';
    const model = named ?? CODEX_FALLBACK_MODEL;
    const defaults = this.ctx.defaults ?? {};
    const event: UnpricedEvent = {
      event_id: total
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
      project: (this.cwd ? baseName(this.cwd) : null) ?? defaults.project ?? null,
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
      energy_j: null,
      energy_source: null,
      status: 'ok',
      error_type: null,
      provider_cost_usd: null,
    };
    if (!this.replayed(event, ts)) this.sink.event(event);
    return undefined;
  }

  /**
   * Whether a turn is part of the parent's history that Codex copied into this forked rollout. Codex persists the
   * fork's initial history as-is, token_count lines included, each line stamped when written (openai/codex
   * codex-rs/core/src/session/: record_initial_history, InitialHistory::Forked → persist_rollout_items;
   * codex-rs/rollout/src/policy.rs: EventMsg::TokenCount is persisted), so the copy is a burst at the fork instant.
   * Those turns were made and counted in the parent's rollout; here they only move the cumulative baseline.
   */
  private replayed(event: UnpricedEvent, ts: number): boolean {
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
        this.probe = { event, ts };
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

function baseName(path: string): string | null {
  return (
    path
      .split(/[\\/]/)
      .filter((p) => p !== '')
      .at(-1) ?? null
  );
}
