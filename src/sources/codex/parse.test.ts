import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { LineSource, Skip } from '../source.js';
import { CODEX_FALLBACK_MODEL, codexSource } from './parse.js';

const HOME = join(import.meta.dirname, '../../../test/fixtures/codex/home');
const MAIN = join(
  HOME,
  'sessions/2025/09/11/rollout-2025-09-11T18-25-30-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl',
);
const LEGACY = join(
  HOME,
  'archived_sessions/rollout-2025-08-20T09-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl',
);
const BAD = join(
  HOME,
  'sessions/2025/09/12/rollout-2025-09-12T08-00-00-0199b0f4-1d2e-7a31-9c55-3f0e2d7c6b18.jsonl',
);

/** Feeds a file the way the import pipeline does: bytes decoded as UTF-8 with replacement, split on newlines. */
function parseFile(source: LineSource, path: string) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = source.open(
    { path, ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  const lines = new TextDecoder('utf-8').decode(readFileSync(path)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((text, i) => {
    parser.line(text, i + 1);
  });
  parser.end();
  return { events, skips };
}

/** The events of a rollout's lines, numbered from 1, read in one go; the lines must all be good. */
function parseLines(lines: string[], path: string): UnpricedEvent[] {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const p = codexSource.open(
    { path, ingestedAt: 1_700_000_000_000_000 },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  lines.forEach((l, i) => {
    p.line(l, i + 1);
  });
  p.end();
  expect(skips).toEqual([]);
  return events;
}

const tokens = (e: UnpricedEvent) => [
  e.input_tokens,
  e.cache_read_tokens,
  e.output_tokens,
  e.reasoning_tokens,
];

describe('codexSource', () => {
  it('emits one event per turn: last_token_usage, else the difference of totals; a repeated line counts once', () => {
    const { events, skips } = parseFile(codexSource, MAIN);
    expect(skips).toEqual([]);
    // input_tokens exclude cached ones; output includes reasoning (reasoning_tokens is a part of it).
    expect(events.map(tokens)).toEqual([
      [1000, 200, 500, 100],
      [700, 100, 300, 50],
      [0, 600, 200, 0],
    ]);
    expect(events.map((e) => e.model)).toEqual(['gpt-5-codex', 'gpt-5.1-codex-max', 'gpt-5.1-codex-max']);
    expect(events.map((e) => e.source_ref)).toEqual([`${MAIN}:5`, `${MAIN}:8`, `${MAIN}:10`]);
    expect(events[0]).toMatchObject({
      session_id: '0199a213-81c0-7800-8aa1-bbab2a035a53',
      project: 'api',
      user: 'ana',
      agent: 'codex',
      provider: 'openai',
      source: 'codex',
      model_requested: 'gpt-5-codex',
      operation: 'responses',
      requests: 1,
      cache_write_5m_tokens: 0,
      cache_write_1h_tokens: 0,
      status: 'ok',
      ts: Date.UTC(2025, 8, 11, 18, 25, 40, 670) * 1000,
    });
    expect(events[0]!.tags).toEqual({
      cli_version: '0.58.0',
      originator: 'codex_cli_rs',
      git_branch: 'feat/rate-limit',
      reasoning_effort: 'medium',
    });
    expect(events[1]!.tags.reasoning_effort).toBe('high');
  });

  it('falls back to the documented model, tagged as guessed, and takes the session from the file name', () => {
    const { events, skips } = parseFile(codexSource, LEGACY);
    expect(skips).toEqual([]);
    expect(events.map(tokens)).toEqual([
      [5000, 0, 1000, 0],
      [1000, 1000, 500, 200],
    ]);
    expect(events[0]).toMatchObject({
      model: CODEX_FALLBACK_MODEL,
      model_requested: null,
      session_id: '5973b6c0-94b8-487b-a530-2aeb6098ae0e',
      project: null,
      tags: { model_guessed: 'true' },
    });
  });

  it('reports each bad line with path:line and a stable code, and keeps the good ones', () => {
    const { events, skips } = parseFile(codexSource, BAD);
    expect(skips.map((s) => [s.ref.slice(BAD.length + 1), s.code])).toEqual([
      ['3', 'SRC_BAD_JSON'],
      ['4', 'SRC_BAD_RECORD'],
      ['5', 'SRC_NUMBER_TOO_LARGE'],
      ['6', 'SRC_BAD_RECORD'],
      ['7', 'SRC_BAD_RECORD'],
      ['9', 'SRC_NOT_UTF8'],
      ['10', 'SRC_BAD_RECORD'],
      ['12', 'SRC_BAD_RECORD'],
      ['13', 'SRC_TRUNCATED'],
    ]);
    expect(skips[1]!.reason).toContain('payload.info.last_token_usage.input_tokens');
    expect(skips[3]!.reason).toContain('cached_input_tokens (20) exceeds input_tokens (10)');
    expect(skips[7]!.reason).toContain('went down');
    expect(events.map((e) => [e.source_ref!.slice(BAD.length + 1), ...tokens(e)])).toEqual([
      ['8', 10, 0, 5, 0],
      ['11', 100, 0, 50, 0],
    ]);
    // Unknown model names pass through for the pricer to leave unpriced; Windows cwd → project "repo".
    expect(events[0]).toMatchObject({
      model: 'o9-hypothetical',
      project: 'repo',
      tags: { subagent: 'true' },
    });
  });

  it('gives the same ids on every parse, distinct per turn', () => {
    const all = () => [MAIN, LEGACY, BAD].flatMap((p) => parseFile(codexSource, p).events);
    const a = all();
    const b = all();
    expect(b.map((e) => [e.event_id, e.ts])).toEqual(a.map((e) => [e.event_id, e.ts]));
    expect(new Set(a.map((e) => e.event_id)).size).toBe(a.length);
  });

  // Codex's fast mode is OpenAI priority processing; the rollout records the thread's tier in thread_settings_applied
  // (sticky: a later settings change without it keeps it) and sends `priority` for it (older versions wrote `fast`).
  it('records the service tier the thread settings name, carried across an import that reads on', () => {
    const settings = (t: Record<string, string>) =>
      JSON.stringify({ type: 'event_msg', payload: { type: 'thread_settings_applied', thread_settings: t } });
    const turn = (n: number) =>
      JSON.stringify({
        timestamp: `2026-09-01T10:00:0${n}.000Z`,
        type: 'event_msg',
        payload: {
          type: 'token_count',
          info: {
            last_token_usage: {
              input_tokens: 10 * n,
              cached_input_tokens: 0,
              output_tokens: 5,
              reasoning_output_tokens: 0,
              total_tokens: 10 * n + 5,
            },
          },
        },
      });
    const events: UnpricedEvent[] = [];
    const sink = { event: (e: UnpricedEvent) => events.push(e), skip: () => {} };
    const ctx = { path: 'rollout-x.jsonl', ingestedAt: 1_700_000_000_000_000 };
    const first = codexSource.openResumable(ctx, sink, { holdTail: false });
    [
      settings({ model: 'gpt-5.4', service_tier: 'default' }),
      turn(1),
      settings({ service_tier: 'priority' }),
      turn(2),
      settings({ model: 'gpt-5.4-mini' }),
      turn(3),
    ].forEach((l, i) => {
      first.line(l, i + 1);
    });
    first.end();
    // The next import reads on from line 7 with the state the first one left.
    const next = codexSource.openResumable(ctx, sink, { holdTail: false, state: first.state!() });
    next.line(turn(4), 7);
    next.line(settings({ service_tier: 'default' }), 8);
    next.line(turn(5), 9);
    next.line(settings({ service_tier: 'fast' }), 10);
    next.line(turn(6), 11);
    next.end();
    expect(events.map((e) => e.service_tier)).toEqual([
      'default',
      'priority',
      'priority',
      'priority',
      'default',
      'priority',
    ]);
  });

  /**
   * When a request overflows the context window Codex fills its counters to the window instead of reporting usage
   * (openai/codex codex-rs/protocol/src/protocol.rs `TokenUsageInfo::fill_to_context_window`: total_token_usage =
   * {total_tokens: window}, last_token_usage = {total_tokens: window − previous total}, every other count 0), then
   * adds the next response's usage to that filled total. The filled line is no turn; the next one is.
   */
  it('reads a context-window fill as no turn, and the turn after it from last_token_usage', () => {
    const usage = (input: number, output: number, total = input + output) => ({
      input_tokens: input,
      cached_input_tokens: 0,
      output_tokens: output,
      reasoning_output_tokens: 0,
      total_tokens: total,
    });
    const count = (s: number, total: object, last: object) =>
      JSON.stringify({
        timestamp: `2026-09-01T10:00:0${s}.000Z`,
        type: 'event_msg',
        payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last } },
      });
    const events = parseLines(
      [
        count(1, usage(250_000, 2_000), usage(250_000, 2_000)),
        count(2, usage(0, 0, 272_000), usage(0, 0, 20_000)),
        count(3, usage(30_000, 1_000, 303_000), usage(30_000, 1_000)),
      ],
      'rollout-x.jsonl',
    );
    expect(events.map(tokens)).toEqual([
      [250_000, 0, 2_000, 0],
      [30_000, 0, 1_000, 0],
    ]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(2);
  });
});

/**
 * A forked rollout (`codex fork`, Codex Desktop fork) and a subagent spawned with its parent's history open with the
 * child's session_meta, then the parent's history copied as-is — its token_count lines included, stamped at the fork
 * instant — before the child's own turns (openai/codex codex-rs/core/src/session/ record_initial_history:
 * InitialHistory::Forked → persist_rollout_items; codex-rs/rollout/src/policy.rs persists EventMsg::TokenCount).
 * Reported as ccusage/ccusage#1370 and #897. The copied turns were counted in the parent's own rollout.
 */
describe('codexSource, forked rollouts', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 5, 25, 9, 0, 0) + ms).toISOString();
  const usage = (input: number, output: number) => ({
    input_tokens: input,
    cached_input_tokens: 0,
    output_tokens: output,
    reasoning_output_tokens: 0,
    total_tokens: input + output,
  });
  const meta = (ms: number, payload: Record<string, unknown>) =>
    JSON.stringify({
      timestamp: at(ms),
      type: 'session_meta',
      payload: { cwd: '/home/ana/api', ...payload },
    });
  const context = (ms: number, model: string) =>
    JSON.stringify({ timestamp: at(ms), type: 'turn_context', payload: { cwd: '/home/ana/api', model } });
  const count = (ms: number, total: object, last: object) =>
    JSON.stringify({
      timestamp: at(ms),
      type: 'event_msg',
      payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last } },
    });
  const PARENT = '0199c001-0000-7000-8000-000000000001';
  const CHILD = '0199c001-0000-7000-8000-000000000002';
  const parse = (lines: string[], path = `rollout-2026-06-25T09-00-00-${CHILD}.jsonl`) =>
    parseLines(lines, path);
  const parentHistory = (from: number) => [
    meta(from, { id: PARENT }),
    context(from + 1, 'gpt-5.4'),
    count(from + 3, usage(100, 50), usage(100, 50)),
    count(from + 9, usage(300, 120), usage(200, 70)),
  ];

  it('does not count the parent turns a fork copied, and counts its own turns from the copied baseline', () => {
    const events = parse([
      meta(0, { id: CHILD, forked_from_id: PARENT }),
      ...parentHistory(4),
      context(20_000, 'gpt-5.5'),
      count(31_000, usage(700, 200), usage(400, 80)),
      // Only cumulative totals: the turn is the difference from the last copied totals.
      count(45_000, usage(1000, 260), usage(300, 60)),
    ]);
    expect(events.map((e) => [e.session_id, e.model, e.input_tokens, e.output_tokens])).toEqual([
      [CHILD, 'gpt-5.5', 400, 80],
      [CHILD, 'gpt-5.5', 300, 60],
    ]);
  });

  it('recognises a subagent spawned with its parent history, whose copy starts late after session_meta', () => {
    const events = parse([
      meta(0, { id: CHILD, source: { subagent: { thread_spawn: { parent_thread_id: PARENT, depth: 1 } } } }),
      // Loading a large parent rollout took 3 s: the copy is still one burst.
      ...parentHistory(3_000),
      count(18_000, usage(900, 150), usage(600, 30)),
    ]);
    expect(events.map((e) => [e.input_tokens, e.output_tokens, e.tags.subagent])).toEqual([
      [600, 30, 'true'],
    ]);
  });

  it('drops a single copied turn written with the fork session_meta', () => {
    const events = parse([
      meta(0, { id: CHILD, forked_from_id: PARENT }),
      meta(2, { id: PARENT }),
      count(5, usage(100, 50), usage(100, 50)),
    ]);
    expect(events).toEqual([]);
  });

  it('counts a fork whose first turn is its own, and turns close together in a rollout that is not a fork', () => {
    const late = parse([
      meta(0, { id: CHILD, forked_from_id: PARENT }),
      count(9_000, usage(100, 50), usage(100, 50)),
    ]);
    expect(late.map((e) => e.input_tokens)).toEqual([100]);
    const plain = parse([
      meta(0, { id: PARENT }),
      count(3, usage(100, 50), usage(100, 50)),
      count(9, usage(300, 120), usage(200, 70)),
    ]);
    expect(plain.map((e) => e.input_tokens)).toEqual([100, 200]);
  });

  it('carries the copy across an import that reads on in the middle of it', () => {
    const events: UnpricedEvent[] = [];
    const sink = { event: (e: UnpricedEvent) => events.push(e), skip: () => {} };
    const ctx = { path: `rollout-x-${CHILD}.jsonl`, ingestedAt: 1 };
    const first = codexSource.openResumable(ctx, sink, { holdTail: false });
    [meta(0, { id: CHILD, forked_from_id: PARENT }), ...parentHistory(4).slice(0, 3)].forEach((l, i) => {
      first.line(l, i + 1);
    });
    first.end();
    const next = codexSource.openResumable(ctx, sink, { holdTail: false, state: first.state!() });
    next.line(count(13, usage(300, 120), usage(200, 70)), 5);
    next.line(count(30_000, usage(700, 200), usage(400, 80)), 6);
    next.end();
    expect(events.map((e) => e.input_tokens)).toEqual([400]);
  });

  /**
   * Newer Codex marks a thread `history_mode: "paginated"` in its session_meta (ThreadHistoryMode, serde lowercase:
   * openai/codex codex-rs/app-server-protocol v2 `ThreadHistoryMode`). A fork into a paginated thread copies the
   * parent's history without its token_count lines (codex-rs/core/src/agent/control/spawn.rs `spawn_forked_thread`
   * drops `EventMsg::TokenCount` when `destination_history_mode == Paginated`), and a child with a `history_base`
   * holds only its own records, the inherited prefix staying in the parent's rollout
   * (codex-rs/thread-store/src/local/thread_history/read.rs reads the lineage's segments). No usage line of such a
   * rollout is a copy, so none may be dropped for its timing.
   */
  it('counts every turn of a paginated fork, which copies no usage lines, however soon they follow', () => {
    const paginated = (ms: number, payload: Record<string, unknown>) =>
      JSON.stringify({
        timestamp: at(ms),
        ordinal: 0,
        type: 'session_meta',
        payload: { cwd: '/home/ana/api', history_mode: 'paginated', ...payload },
      });
    const spawned = parse([
      paginated(0, {
        id: CHILD,
        forked_from_id: PARENT,
        parent_thread_id: PARENT,
        source: { subagent: { thread_spawn: { parent_thread_id: PARENT, depth: 1 } } },
      }),
      context(200, 'gpt-5.5-mini'),
      count(800, usage(100, 50), usage(100, 50)),
      count(1_500, usage(300, 120), usage(200, 70)),
    ]);
    expect(spawned.map((e) => e.input_tokens)).toEqual([100, 200]);
    const based = parse([
      paginated(0, {
        id: CHILD,
        forked_from_id: PARENT,
        history_base: { thread_id: PARENT, end_ordinal_exclusive: 5, end_byte_offset: 2048 },
      }),
      count(600, usage(100, 50), usage(100, 50)),
    ]);
    expect(based.map((e) => e.input_tokens)).toEqual([100]);
  });
});

/**
 * Codex copies the Responses API's `input_tokens_details.cache_write_tokens` into its TokenUsage as
 * `cache_write_input_tokens`, a part of `input_tokens` like `cached_input_tokens` (Codex app-server
 * TokenUsageBreakdown `cacheWriteInputTokens`; OpenAI bills cache writes at 1.25x input from GPT-5.6 on).
 */
describe('codexSource, cache writes', () => {
  const usage = (input: number, cached: number, write: number | undefined, output: number) => ({
    input_tokens: input,
    cached_input_tokens: cached,
    ...(write === undefined ? {} : { cache_write_input_tokens: write }),
    output_tokens: output,
    reasoning_output_tokens: 0,
    total_tokens: input + output,
  });
  const count = (s: number, total: object, last?: object) =>
    JSON.stringify({
      timestamp: `2026-09-01T10:00:${String(s).padStart(2, '0')}.000Z`,
      type: 'event_msg',
      payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last } },
    });
  const split = (e: UnpricedEvent) => [
    e.input_tokens,
    e.cache_read_tokens,
    e.cache_write_5m_tokens,
    e.output_tokens,
  ];

  it('takes cache_write_input_tokens out of input_tokens as cache writes, from last or from totals', () => {
    const events: UnpricedEvent[] = [];
    const skips: Skip[] = [];
    const p = codexSource.open(
      { path: 'rollout-w.jsonl', ingestedAt: 1 },
      { event: (e) => events.push(e), skip: (s) => skips.push(s) },
    );
    [
      count(1, usage(1000, 600, 300, 50), usage(1000, 600, 300, 50)),
      // Only totals: the turn's writes are the difference of the cumulative writes.
      count(2, usage(3000, 2400, 500, 90)),
      count(3, usage(3010, 2400, 520, 95), usage(10, 0, 20, 5)),
    ].forEach((l, i) => {
      p.line(l, i + 1);
    });
    p.end();
    expect(events.map(split)).toEqual([
      [100, 600, 300, 50],
      [0, 1800, 200, 40],
    ]);
    expect(skips.map((s) => [s.ref, s.code])).toEqual([['rollout-w.jsonl:3', 'SRC_BAD_RECORD']]);
    expect(skips[0]!.reason).toContain('cache_write_input_tokens (20) exceed input_tokens (10)');
  });

  it('reads on from a parser state saved before cache writes were read', () => {
    const events: UnpricedEvent[] = [];
    const old = JSON.stringify({
      sessionId: 's',
      sessionKnown: true,
      cwd: null,
      model: 'gpt-5.6-terra',
      provider: null,
      previous: { input: 1000, cached: 600, output: 50, reasoning: 0, total: 1050 },
      tags: {},
    });
    const p = codexSource.openResumable(
      { path: 'rollout-w.jsonl', ingestedAt: 1 },
      { event: (e) => events.push(e), skip: () => {} },
      { holdTail: false, state: old },
    );
    p.line(count(4, usage(1500, 900, 100, 80)), 9);
    p.end();
    expect(events.map(split)).toEqual([[100, 300, 100, 30]]);
  });
});

/**
 * Newer Codex writes a `token_usage_record` line for every model response that reported usage, and a `compacted`
 * line naming the compaction request (openai/codex @5ef96ab2: codex-rs/history/src/rollout_payload.rs
 * `RolloutItemWire::TokenUsageRecord { payload }` and `CompactedItemWire`, whose `compaction_response_id` and
 * `latest_token_usage_record` are always written, null when absent; codex-rs/protocol/src/protocol.rs
 * `TokenUsageRecord { thread_id, turn_id, session_id, root_turn_id, response_id, usage, turn_token_usage,
 * thread_token_usage }` and `TokenUsage`). A remote (Responses API v2) compaction records its response
 * (codex-rs/core/src/compact_remote_v2.rs `collect_compaction_output` → `record_observed_response_completed`) but
 * never adds it to `total_token_usage`: `recompute_token_usage` then re-sends the same totals. A local compaction is
 * a normal sampling request whose token_count advances by the record's usage.
 */
describe('codexSource, compaction requests', () => {
  const THREAD = '0199d001-0000-7000-8000-00000000000a';
  const PARENT = '0199d001-0000-7000-8000-00000000000b';
  const SESSION = '0199d001-0000-7000-8000-0000000000ff';
  const at = (s: number) => new Date(Date.UTC(2026, 8, 1, 10, 0, 0) + s * 1000).toISOString();
  const usage = (input: number, cached: number, output: number, reasoning = 0) => ({
    input_tokens: input,
    cached_input_tokens: cached,
    cache_write_input_tokens: 0,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: input + output,
  });
  const plus = (a: ReturnType<typeof usage>, b: ReturnType<typeof usage>) =>
    usage(
      a.input_tokens + b.input_tokens,
      a.cached_input_tokens + b.cached_input_tokens,
      a.output_tokens + b.output_tokens,
      a.reasoning_output_tokens + b.reasoning_output_tokens,
    );
  const meta = (s: number, payload: Record<string, unknown>) =>
    JSON.stringify({ timestamp: at(s), type: 'session_meta', payload: { cwd: '/home/ana/api', ...payload } });
  const context = (s: number, model: string) =>
    JSON.stringify({
      timestamp: at(s),
      type: 'turn_context',
      payload: { turn_id: 'turn-1', cwd: '/home/ana/api', model, effort: 'high' },
    });
  /** `RolloutLine { timestamp, ordinal?, type: "token_usage_record", payload: TokenUsageRecord }`. */
  const record = (
    s: number,
    responseId: string,
    u: ReturnType<typeof usage>,
    thread: ReturnType<typeof usage>,
    threadId = THREAD,
  ) =>
    JSON.stringify({
      timestamp: at(s),
      type: 'token_usage_record',
      payload: {
        thread_id: threadId,
        turn_id: 'turn-1',
        session_id: SESSION,
        root_turn_id: 'turn-1',
        response_id: responseId,
        usage: u,
        turn_token_usage: u,
        thread_token_usage: thread,
      },
    });
  const recordPayload = (l: string) => JSON.parse(l).payload as object;
  /** `CompactedItemWire`: `compaction_response_id` and `latest_token_usage_record` are written even when null. */
  const compacted = (s: number, responseId: string | null, latest: object | null) =>
    JSON.stringify({
      timestamp: at(s),
      type: 'compacted',
      payload: {
        message: '',
        replacement_history: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the tests' }] },
          { type: 'compaction', encrypted_content: 'gAAAA…' },
        ],
        window_number: 1,
        first_window_id: '0199d001-aaaa-7000-8000-000000000001',
        window_id: '0199d001-aaaa-7000-8000-000000000002',
        compaction_response_id: responseId,
        latest_token_usage_record: latest,
      },
    });
  const count = (s: number, total: object, last: object) =>
    JSON.stringify({
      timestamp: at(s),
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: { total_token_usage: total, last_token_usage: last, model_context_window: 258_400 },
        rate_limits: null,
      },
    });
  const parse = (lines: string[], path = `rollout-2026-09-01T10-00-00-${THREAD}.jsonl`) =>
    parseLines(lines, path);
  const split = (e: UnpricedEvent) => [
    e.input_tokens,
    e.cache_read_tokens,
    e.output_tokens,
    e.reasoning_tokens,
    e.tags.codex_compaction ?? null,
  ];

  const turn1 = usage(12_000, 8_000, 400, 100);
  const remote = usage(150_000, 120_000, 3_000, 1_200);
  const turn2 = usage(20_000, 2_000, 600, 0);
  const remoteCompaction = () => {
    const compactionRecord = record(20, 'resp_compact', remote, turn1);
    return [
      meta(0, { id: THREAD, cli_version: '0.160.0', originator: 'codex_cli_rs' }),
      context(1, 'gpt-5.5'),
      record(10, 'resp_1', turn1, turn1),
      count(10, turn1, turn1),
      compactionRecord,
      compacted(21, 'resp_compact', recordPayload(compactionRecord)),
      // recompute_token_usage re-sends the unchanged totals with an estimated context size as last usage.
      count(21, turn1, { ...usage(0, 0, 0), total_tokens: 9_000 }),
      record(30, 'resp_2', turn2, plus(turn1, turn2)),
      count(30, plus(turn1, turn2), turn2),
    ];
  };

  it('counts a remote compaction request once, as its own event, with the turn model and session', () => {
    const lines = remoteCompaction();
    const events = parse(lines);
    expect(events.map(split)).toEqual([
      [4_000, 8_000, 400, 100, null],
      [30_000, 120_000, 3_000, 1_200, 'remote'],
      [18_000, 2_000, 600, 0, null],
    ]);
    const path = `rollout-2026-09-01T10-00-00-${THREAD}.jsonl`;
    expect(events[1]).toMatchObject({
      session_id: THREAD,
      project: 'api',
      model: 'gpt-5.5',
      model_requested: 'gpt-5.5',
      provider: 'openai',
      operation: 'responses',
      requests: 1,
      source_ref: `${path}:5`,
      ts: Date.parse(at(20)) * 1000,
    });
    expect(events[1]!.tags).toMatchObject({ cli_version: '0.160.0', reasoning_effort: 'high' });
    // The id comes from the response id alone: the same on every import, and one for any copy of the record.
    expect(parse(lines).map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(3);
  });

  it('does not count again a compaction whose usage a token_count advance already holds (local compaction)', () => {
    const local = usage(60_000, 50_000, 2_000, 500);
    const events = parse([
      meta(0, { id: THREAD }),
      context(1, 'gpt-5.5'),
      record(10, 'resp_1', turn1, turn1),
      count(10, turn1, turn1),
      record(20, 'resp_local', local, plus(turn1, local)),
      count(20, plus(turn1, local), local),
      compacted(21, 'resp_local', null),
    ]);
    expect(events.map(split)).toEqual([
      [4_000, 8_000, 400, 100, null],
      [10_000, 50_000, 2_000, 500, null],
    ]);
    // A token_count that only carries totals covers the record through its thread_token_usage.
    const totalsOnly = parse([
      meta(0, { id: THREAD }),
      record(20, 'resp_local', local, local),
      JSON.stringify({
        timestamp: at(20),
        type: 'event_msg',
        payload: { type: 'token_count', info: { total_token_usage: local } },
      }),
      compacted(21, 'resp_local', null),
    ]);
    expect(totalsOnly.map(split)).toEqual([[10_000, 50_000, 2_000, 500, null]]);
  });

  it('does not count a compacted line a fork or subagent copied from its parent', () => {
    const parentRecord = record(2, 'resp_parent_compact', remote, turn1, PARENT);
    const events = parse([
      meta(0, { id: THREAD, forked_from_id: PARENT }),
      // The copied parent history: Codex keeps the compacted line but drops its latest_token_usage_record and
      // does not copy token_usage_record lines (codex-rs/core/src/agent/control/spawn.rs).
      meta(0, { id: PARENT }),
      context(0, 'gpt-5.5'),
      count(0, turn1, turn1),
      compacted(0, 'resp_parent_compact', null),
      // Even a copied record is the parent's: its thread_id names another thread.
      parentRecord,
      compacted(2, 'resp_parent_compact', recordPayload(parentRecord)),
      context(30, 'gpt-5.5'),
      record(40, 'resp_2', turn2, plus(turn1, turn2)),
      count(40, plus(turn1, turn2), turn2),
    ]);
    expect(events.map(split)).toEqual([[18_000, 2_000, 600, 0, null]]);
  });

  it('counts a compaction whose record and compacted line arrive in different imports, and only once', () => {
    const lines = remoteCompaction();
    for (const cut of [1, 4, 5, 6, 7, 8]) {
      const events: UnpricedEvent[] = [];
      const sink = { event: (e: UnpricedEvent) => events.push(e), skip: () => {} };
      const ctx = { path: `rollout-2026-09-01T10-00-00-${THREAD}.jsonl`, ingestedAt: 1 };
      const first = codexSource.openResumable(ctx, sink, { holdTail: false });
      lines.slice(0, cut).forEach((l, i) => {
        first.line(l, i + 1);
      });
      first.end();
      const next = codexSource.openResumable(ctx, sink, { holdTail: false, state: first.state!() });
      lines.slice(cut).forEach((l, i) => {
        next.line(l, cut + i + 1);
      });
      next.end();
      expect(events.map(split), `cut after line ${cut}`).toEqual([
        [4_000, 8_000, 400, 100, null],
        [30_000, 120_000, 3_000, 1_200, 'remote'],
        [18_000, 2_000, 600, 0, null],
      ]);
    }
  });

  it('counts a record a compacted line named before it, and ignores a record no compaction names', () => {
    const events = parse([
      meta(0, { id: THREAD }),
      context(1, 'gpt-5.5'),
      compacted(19, 'resp_compact', null),
      record(20, 'resp_compact', remote, usage(0, 0, 0)),
      record(25, 'resp_unclaimed', turn2, usage(0, 0, 0)),
      compacted(26, null, null),
    ]);
    expect(events.map(split)).toEqual([[30_000, 120_000, 3_000, 1_200, 'remote']]);
  });
});
