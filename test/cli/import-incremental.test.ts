/**
 * Issue 3, point 2: imports are incremental. A Claude Code log that grew is read on from where the last import
 * stopped, and a response whose lines are split across two imports is counted whole (docs/sources/claude-code.md,
 * "Incremental imports"). Token counts below are written into the logs by the test itself.
 */
import { appendFileSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

let db: string;
let log: string;
beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-inc-'));
  db = join(dir, 'ledger.duckdb');
  const project = join(dir, 'config/projects/-home-ana-shop');
  mkdirSync(project, { recursive: true });
  log = join(project, '11111111-2222-4333-8444-555555555555.jsonl');
});

let clock = 0;
const user = () =>
  JSON.stringify({
    type: 'user',
    uuid: `u${++clock}`,
    timestamp: '2026-02-10T10:00:00Z',
    message: { content: 'x' },
  });
/** One line of a response: Claude Code writes one per content block, the last with the final output count. */
const reply = (msg: string, output: number) =>
  JSON.stringify({
    type: 'assistant',
    uuid: `a${++clock}`,
    sessionId: '11111111-2222-4333-8444-555555555555',
    requestId: `req_${msg}`,
    timestamp: `2026-02-10T10:00:${String(clock % 60).padStart(2, '0')}Z`,
    message: {
      id: `msg_${msg}`,
      model: 'claude-sonnet-4-5-20250929',
      usage: {
        input_tokens: 10,
        output_tokens: output,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    },
  });
const lines = (...l: string[]) => l.map((x) => `${x}\n`).join('');
/** Marks the log as last written an hour ago: no longer being written. */
const settle = () => utimesSync(log, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));

async function imp() {
  const r = await runCli(['import', 'claude-code', log, '--db', db]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}
async function output() {
  const r = await runCli(['report', '--db', db, '--format', 'json']);
  const t = JSON.parse(r.stdout).totals;
  return { events: t.events, output_tokens: t.output_tokens };
}

describe('incremental claude-code import', () => {
  it('a log that grew adds only its new lines; an unchanged one is not read', async () => {
    writeFileSync(log, lines(user(), reply('A', 1), reply('A', 100), user(), reply('B', 50)));
    settle();
    expect(await imp()).toContain('imported 2 events from 1 file (5 lines, 2 events read)');
    expect(await output()).toEqual({ events: 2, output_tokens: 150 });

    appendFileSync(log, lines(user(), reply('C', 1), reply('C', 70)));
    settle();
    const second = await imp();
    // B, the last response when the log was imported, is read again whole in case it went on; it is stored once.
    expect(second).toContain('imported 1 event from 1 file (4 lines, 2 events read)');
    expect(second).toContain('0 unchanged (not read), 1 read on from the last import');
    expect(second).toContain('duplicates (already in the ledger): 1');
    expect(await output()).toEqual({ events: 3, output_tokens: 220 });

    const third = await imp();
    expect(third).toContain('imported 0 events from 1 file (0 lines, 0 events read)');
    expect(third).toContain('1 unchanged (not read)');
  });

  it('a response split across imports is counted whole, not with its placeholder output count', async () => {
    // Written just now: Claude Code may still be writing the last response, so it is held back.
    writeFileSync(log, lines(user(), reply('A', 1), reply('A', 100), user(), reply('B', 2)));
    const first = await imp();
    expect(first).toContain('imported 1 event');
    expect(first).toContain('held back: the last response of 1 file still being written');
    expect(await output()).toEqual({ events: 1, output_tokens: 100 });

    // The rest of B arrives; B is still the last response and the file is fresh: still held.
    appendFileSync(log, lines(reply('B', 3), reply('B', 80)));
    expect(await imp()).toContain('imported 0 events');

    // A new response starts, so B is complete: stored with its final count (80, not 2 or 3). C is held.
    appendFileSync(log, lines(user(), reply('C', 5)));
    const third = await imp();
    expect(third).toContain('imported 1 event');
    expect(await output()).toEqual({ events: 2, output_tokens: 180 });

    // Once the log settles, the held response is read and stored even though the file did not change.
    settle();
    const fourth = await imp();
    expect(fourth).toContain('imported 1 event from 1 file (1 line, 1 event read)');
    expect(await output()).toEqual({ events: 3, output_tokens: 185 });
    expect(await imp()).toContain('1 unchanged (not read)');
  });

  it('a settled log that ends mid-response (a crashed session) stores what it has', async () => {
    writeFileSync(log, lines(user(), reply('A', 1), reply('A', 100), user(), reply('B', 2)));
    settle();
    await imp();
    expect(await output()).toEqual({ events: 2, output_tokens: 102 });
  });

  it('a response that goes on after its log had settled and been imported is still one call', async () => {
    // A long answer: its first line written, then nothing for over five minutes while the next block streams.
    writeFileSync(log, lines(user(), reply('A', 1)));
    settle();
    await imp();
    expect(await output()).toEqual({ events: 1, output_tokens: 1 });

    // Its later lines start later than the first did; they are the same call, not a second one.
    appendFileSync(log, lines(reply('A', 100), user(), reply('B', 50)));
    settle();
    const second = await imp();
    expect(second).toContain('duplicates (already in the ledger): 1');
    expect((await output()).events).toBe(2);
  });

  it('an unterminated last line is held while the log is fresh, then read whole without a skip', async () => {
    const b = reply('B', 40);
    writeFileSync(log, `${lines(user(), reply('A', 1), reply('A', 100))}${b.slice(0, 50)}`);
    // A (the last complete response) is held too: the file is fresh and B has not visibly started yet.
    const first = await imp();
    expect(first).toContain('imported 0 events');
    expect(first).toContain('skipped: 0');
    appendFileSync(log, `${b.slice(50)}\n`);
    settle();
    const second = await imp();
    expect(second).toContain('imported 2 events from 1 file (3 lines, 2 events read)');
    expect(second).toContain('skipped: 0');
    expect(await output()).toEqual({ events: 2, output_tokens: 140 });
  });

  it('a settled unterminated last line is reported as truncated', async () => {
    writeFileSync(log, `${lines(user(), reply('A', 100))}{"type":"assistant","mess`);
    settle();
    const out = await imp();
    expect(out).toContain(`${log}:3  SRC_TRUNCATED`);
    expect(await output()).toEqual({ events: 1, output_tokens: 100 });
  });

  it('a forked session counts the responses it copied once, read together or in a later import', async () => {
    // `claude --resume <id> --fork-session` starts a new session file with the conversation so far copied into it:
    // the copied lines keep message.id, requestId and timestamp (steipete/CodexBar#1002, ClaudeCodeUsage#92), so
    // their events have the same ids and times as the originals. Only the fork's own responses are new calls.
    const parent = lines(user(), reply('A', 1), reply('A', 100), user(), reply('B', 50));
    writeFileSync(log, parent);
    settle();
    await imp();
    expect(await output()).toEqual({ events: 2, output_tokens: 150 });

    const forkId = '99999999-2222-4333-8444-555555555555';
    const fork = join(log, '..', `${forkId}.jsonl`);
    const copied = parent.replaceAll('11111111-2222-4333-8444-555555555555', forkId);
    writeFileSync(fork, copied + lines(user(), reply('C', 30)));
    utimesSync(fork, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const r = await runCli(['import', 'claude-code', join(log, '..'), '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('imported 1 event from 2 files');
    expect(r.stdout).toContain('duplicates (already in the ledger): 2');
    expect(await output()).toEqual({ events: 3, output_tokens: 180 });

    // Both files in one import into a new ledger: the same three calls.
    db = join(log, '..', 'both.duckdb');
    const both = await runCli(['import', 'claude-code', join(log, '..'), '--db', db]);
    expect(both.code).toBe(0);
    expect(await output()).toEqual({ events: 3, output_tokens: 180 });
  });

  it('a log rewritten with other content is read again from the start', async () => {
    writeFileSync(log, lines(user(), reply('A', 100)));
    settle();
    await imp();
    writeFileSync(log, lines(user(), reply('X', 7), user(), reply('Y', 9)));
    settle();
    const out = await imp();
    expect(out).toContain('imported 2 events from 1 file (4 lines, 2 events read)');
    expect(out).not.toContain('read on from the last import');
    expect(await output()).toEqual({ events: 3, output_tokens: 116 });
  });
});

describe('incremental codex import', () => {
  it('reads a grown rollout on from the last import, with the model and totals of the lines before', async () => {
    const dir = join(db, '..', 'codex/sessions/2025/09/11');
    mkdirSync(dir, { recursive: true });
    const rollout = join(dir, 'rollout-2025-09-11T18-25-30-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl');
    const usage = (input: number, output: number) => ({
      input_tokens: input,
      cached_input_tokens: 0,
      output_tokens: output,
      reasoning_output_tokens: 0,
      total_tokens: input + output,
    });
    const tokenCount = (ts: string, total: object, last?: object) =>
      JSON.stringify({
        timestamp: ts,
        type: 'event_msg',
        payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last } },
      });
    const old = new Date(Date.now() - 3_600_000);
    writeFileSync(
      rollout,
      lines(
        JSON.stringify({
          timestamp: '2025-09-11T18:25:30Z',
          type: 'session_meta',
          payload: {
            id: '0199a213-81c0-7800-8aa1-bbab2a035a53',
            cwd: '/home/ana/api',
            model_provider: 'openai',
          },
        }),
        JSON.stringify({
          timestamp: '2025-09-11T18:25:31Z',
          type: 'turn_context',
          payload: { model: 'gpt-5-codex' },
        }),
        tokenCount('2025-09-11T18:25:40Z', usage(100, 50), usage(100, 50)),
      ),
    );
    utimesSync(rollout, old, old);
    const first = await runCli(['import', 'codex', dir, '--db', db]);
    expect(first.stdout).toContain('imported 1 event from 1 file (3 lines, 1 event read)');

    // The next turn reports only cumulative totals: its tokens are the difference from the previous line's.
    appendFileSync(rollout, lines(tokenCount('2025-09-11T18:26:40Z', usage(300, 120))));
    utimesSync(rollout, old, new Date(Date.now() - 3_000_000));
    const second = await runCli(['import', 'codex', dir, '--db', db]);
    expect(second.stdout).toContain('imported 1 event from 1 file (1 line, 1 event read)');
    expect(second.stdout).toContain('1 read on from the last import');

    const r = await runCli([
      'report',
      '--db',
      db,
      '--by',
      'model_requested,project,session_id',
      '--format',
      'json',
    ]);
    expect(JSON.parse(r.stdout).rows).toEqual([
      expect.objectContaining({
        model_requested: 'gpt-5-codex',
        project: 'api',
        session_id: '0199a213-81c0-7800-8aa1-bbab2a035a53',
        events: 2,
        input_tokens: 300,
        output_tokens: 120,
      }),
    ]);
  });
  it('counts a remote compaction once when its compacted line arrives in a later import, and not again after', async () => {
    // Line shapes as Codex writes them: openai/codex codex-rs/history/src/rollout_payload.rs (RolloutItemWire,
    // CompactedItemWire) and codex-rs/protocol/src/protocol.rs (TokenUsageRecord, TokenUsage).
    const thread = '0199d002-0000-7000-8000-00000000000a';
    const dir = join(db, '..', 'codex/sessions/2026/09/01');
    mkdirSync(dir, { recursive: true });
    const rollout = join(dir, `rollout-2026-09-01T10-00-00-${thread}.jsonl`);
    const usage = (input: number, cached: number, output: number) => ({
      input_tokens: input,
      cached_input_tokens: cached,
      cache_write_input_tokens: 0,
      output_tokens: output,
      reasoning_output_tokens: 0,
      total_tokens: input + output,
    });
    const turn = usage(1000, 200, 50);
    const remote = usage(90_000, 80_000, 2_000);
    const record = {
      thread_id: thread,
      turn_id: 'turn-1',
      session_id: '0199d002-0000-7000-8000-0000000000ff',
      root_turn_id: 'turn-1',
      response_id: 'resp_compact',
      usage: remote,
      turn_token_usage: remote,
      thread_token_usage: turn,
    };
    const old = new Date(Date.now() - 3_600_000);
    writeFileSync(
      rollout,
      lines(
        JSON.stringify({
          timestamp: '2026-09-01T10:00:00Z',
          type: 'session_meta',
          payload: { id: thread, cwd: '/home/ana/api', model_provider: 'openai' },
        }),
        JSON.stringify({
          timestamp: '2026-09-01T10:00:01Z',
          type: 'turn_context',
          payload: { model: 'gpt-5.5' },
        }),
        JSON.stringify({
          timestamp: '2026-09-01T10:00:10Z',
          type: 'event_msg',
          payload: { type: 'token_count', info: { total_token_usage: turn, last_token_usage: turn } },
        }),
        JSON.stringify({ timestamp: '2026-09-01T10:00:20Z', type: 'token_usage_record', payload: record }),
      ),
    );
    utimesSync(rollout, old, old);
    const first = await runCli(['import', 'codex', dir, '--db', db]);
    expect(first.stdout).toContain('imported 1 event from 1 file (4 lines, 1 event read)');

    appendFileSync(
      rollout,
      lines(
        JSON.stringify({
          timestamp: '2026-09-01T10:00:21Z',
          type: 'compacted',
          payload: {
            message: '',
            replacement_history: [{ type: 'compaction', encrypted_content: 'gAAAA' }],
            compaction_response_id: 'resp_compact',
            latest_token_usage_record: record,
          },
        }),
      ),
    );
    utimesSync(rollout, old, new Date(Date.now() - 3_000_000));
    const second = await runCli(['import', 'codex', dir, '--db', db]);
    expect(second.stdout).toContain('imported 1 event from 1 file (1 line, 1 event read)');
    expect(second.stdout).toContain('1 read on from the last import');

    // Read again from the start: the same ids, so the store keeps each event once.
    const full = await runCli(['import', 'codex', dir, '--db', db, '--full']);
    expect(full.stdout).toContain('2 events read');

    const r = await runCli(['report', '--db', db, '--by', 'model_requested,session_id', '--format', 'json']);
    expect(JSON.parse(r.stdout).rows).toEqual([
      expect.objectContaining({
        model_requested: 'gpt-5.5',
        session_id: thread,
        events: 2,
        input_tokens: 800 + 10_000,
        output_tokens: 2_050,
      }),
    ]);
  });
});
