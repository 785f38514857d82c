import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import { parseUsd } from '../../money/money.js';
import type { Skip } from '../source.js';
import { piSource } from './parse.js';

const SESSIONS = join(import.meta.dirname, '../../../test/fixtures/pi/agent/sessions');
const S1 = '5b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const S2 = '8e7f6a5b-1c2d-4e3f-9a0b-c1d2e3f4a5b6';
const S3 = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const MAIN = join(SESSIONS, `--home-ana-shop--/2026-01-10T09-00-00-000Z_${S1}.jsonl`);
const FORK = join(SESSIONS, `--home-ana-shop-v2--/2026-01-11T10-00-00-000Z_${S2}.jsonl`);
const LEGACY = join(SESSIONS, `--tmp-scratch--/2025-11-20T08-00-00-000Z_${S3}.jsonl`);

/** The file's lines as the import pipeline gives them: bytes decoded as UTF-8 with replacement, split on newlines. */
function linesOf(path: string): string[] {
  const lines = new TextDecoder('utf-8').decode(readFileSync(path)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function parseLines(path: string, lines: string[]) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = piSource.open(
    { path, ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  lines.forEach((text, i) => {
    parser.line(text, i + 1);
  });
  parser.end();
  return { events, skips };
}

const parseFile = (path: string) => parseLines(path, linesOf(path));

const row = (e: UnpricedEvent) => [
  Number(e.source_ref!.split(':').at(-1)),
  e.model,
  e.input_tokens,
  e.cache_read_tokens,
  e.cache_write_5m_tokens,
  e.cache_write_1h_tokens,
  e.output_tokens,
  e.reasoning_tokens,
];

const epochUs = (iso: string) => Date.parse(iso) * 1000;

describe('piSource', () => {
  it("makes one event per assistant message with usage, in pi's token convention (input without cache)", () => {
    const { events } = parseFile(MAIN);
    expect(events.map(row)).toEqual([
      [4, 'claude-sonnet-4-5', 120, 8000, 1000, 500, 340, 0],
      [6, 'gpt-5', 900, 3072, 0, 0, 400, 256],
      [8, 'claude-sonnet-4-5', 50, 9000, 0, 0, 12, 0],
      [11, 'gemini-2.5-pro', 1000, 4000, 0, 0, 200, 0],
      [12, 'anthropic/claude-haiku-4.5', 300, 0, 0, 0, 50, 0],
      [19, 'qwen3:32b', 700, 0, 0, 0, 90, 0],
    ]);
  });

  it('reports every bad line with its line number and a stable code, and reads on', () => {
    const { skips } = parseFile(MAIN);
    expect(skips.map((s) => [Number(s.ref.split(':').at(-1)), s.code])).toEqual([
      [13, 'SRC_BAD_JSON'],
      [14, 'SRC_BAD_RECORD'],
      [15, 'SRC_NUMBER_TOO_LARGE'],
      [16, 'SRC_BAD_RECORD'],
      [17, 'SRC_NOT_UTF8'],
      [18, 'SRC_BAD_RECORD'],
      [20, 'SRC_TRUNCATED'],
    ]);
    expect(skips.map((s) => s.reason)).toEqual([
      expect.stringContaining('not valid JSON'),
      'message.usage.input: expected a token count, got "12"',
      'message.usage.input: 100000000000000000000 is beyond 2^53 and cannot be counted exactly',
      'message.usage.cacheWrite1h (200) exceeds cacheWrite (100)',
      expect.stringContaining("check the file's encoding"),
      'message.model: expected the model name',
      expect.stringContaining('the log may still be written'),
    ]);
  });

  it("takes session, project, time, provider, operation, status and pi's own cost from the session", () => {
    const [anthropic, openai, aborted, , openrouter, ollama] = parseFile(MAIN).events;
    expect(anthropic).toMatchObject({
      source: 'pi',
      agent: 'pi',
      session_id: S1,
      project: 'shop',
      user: 'ana',
      provider: 'anthropic',
      model_requested: 'claude-sonnet-4-5',
      operation: 'messages',
      requests: 1,
      status: 'ok',
      // The message's timestamp: when pi-ai started the request (the entry is written when the answer ends).
      ts: epochUs('2026-01-10T09:00:05.200Z'),
      provider_cost_usd: parseUsd('0.0123'),
      tags: { pi_api: 'anthropic-messages', pi_provider: 'anthropic' },
    });
    expect(openai).toMatchObject({
      provider: 'openai',
      operation: 'responses',
      provider_cost_usd: parseUsd('0.0081'),
    });
    expect(aborted).toMatchObject({ status: 'aborted', input_tokens: 50 });
    // pi prices what its model table does not know at zero: not a price to keep.
    expect(openrouter).toMatchObject({ provider: 'openrouter', operation: 'chat', provider_cost_usd: null });
    expect(ollama).toMatchObject({
      provider: 'ollama',
      tags: { pi_api: 'openai-completions', pi_provider: 'ollama' },
    });
  });

  it('leaves out a failed request that counted no tokens', () => {
    const lines = parseFile(MAIN).events.map((e) => e.source_ref!.split(':').at(-1));
    expect(lines).not.toContain('9');
  });

  /**
   * pi's google-generative-ai adapter once kept cached tokens in `input` and reported them again as `cacheRead`
   * (badlogic/pi-mono discussion #1487); Google's totalTokenCount, logged as `totalTokens`, then equals input + output.
   */
  it('takes cache reads out of an input that still held them, as its total shows, and tags the event', () => {
    const gemini = parseFile(MAIN).events[3]!;
    expect(gemini.tags).toEqual({
      pi_api: 'google-generative-ai',
      pi_provider: 'google',
      pi_input_had_cache_read: 'true',
    });
    expect(gemini.input_tokens + gemini.cache_read_tokens + gemini.output_tokens).toBe(5200);
  });

  it('keeps a total that disagrees with the parts visible, the counts as written', () => {
    expect(parseFile(MAIN).events[4]!.tags.reported_total).toBe('999');
  });

  it("gives a fork's copy of its parent's entries the parent's event ids and session, and its own turns its own", () => {
    const parent = parseFile(MAIN).events;
    const { events, skips } = parseFile(FORK);
    expect(skips).toEqual([]);
    expect(events.map((e) => [e.event_id, e.session_id, e.project])).toEqual([
      [parent[0]!.event_id, S1, 'shop-v2'],
      [expect.not.stringMatching(parent[0]!.event_id), S2, 'shop-v2'],
    ]);
    expect(events[0]!.ts).toBe(parent[0]!.ts);
    expect(events[1]).toMatchObject({
      model: 'claude-opus-4-5',
      input_tokens: 40,
      cache_write_5m_tokens: 2000,
    });
  });

  it('reads a version-1 session: entries without ids, a line without a type, usage without cache fields', () => {
    const { events, skips } = parseFile(LEGACY);
    expect(skips).toEqual([]);
    expect(events.map(row)).toEqual([
      [3, 'claude-sonnet-4-20250514', 10, 0, 4200, 0, 25, 0],
      [4, 'claude-sonnet-4-20250514', 5, 0, 0, 0, 7, 0],
    ]);
    expect(events[1]).toMatchObject({
      session_id: S3,
      project: 'scratch',
      operation: null,
      provider_cost_usd: null,
      // No message timestamp: the entry's.
      ts: epochUs('2025-11-20T08:00:20.000Z'),
    });
  });

  it('without a header, takes the session from the file name and the project from its folder', () => {
    const path =
      '/home/ana/.pi/agent/sessions/--srv-api--/2026-02-01T00-00-00-000Z_c0ffee00-0000-4000-8000-000000000001.jsonl';
    const { events } = parseLines(path, linesOf(MAIN).slice(1, 4));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      session_id: 'c0ffee00-0000-4000-8000-000000000001',
      project: 'srv-api',
    });
  });

  it('gives the same events when an import reads on from the middle of the file with the saved state', () => {
    const lines = linesOf(FORK);
    const events: UnpricedEvent[] = [];
    const sink = { event: (e: UnpricedEvent) => events.push(e), skip: () => {} };
    const ctx = { path: FORK, ingestedAt: 1 };
    const first = piSource.openResumable(ctx, sink, { holdTail: false });
    lines.slice(0, 3).forEach((t, i) => {
      first.line(t, i + 1);
    });
    first.end(false);
    expect(first.resumeLine()).toBeNull();
    const second = piSource.openResumable(ctx, sink, { holdTail: false, state: first.state!() });
    lines.slice(3).forEach((t, i) => {
      second.line(t, i + 4);
    });
    second.end(false);
    const whole = parseLines(FORK, lines).events.map((e) => [
      e.event_id,
      e.session_id,
      e.project,
      e.source_ref,
    ]);
    expect(events.map((e) => [e.event_id, e.session_id, e.project, e.source_ref])).toEqual(whole);
  });

  it('gives the same ids on every parse, distinct per call', () => {
    const all = () => [MAIN, LEGACY].flatMap((p) => parseFile(p).events);
    const a = all();
    expect(all().map((e) => [e.event_id, e.ts])).toEqual(a.map((e) => [e.event_id, e.ts]));
    expect(new Set(a.map((e) => e.event_id)).size).toBe(a.length);
  });

  /** Tool results (whole files read, command output) are most of a session's bytes; nothing of them is kept. */
  it('holds nothing of the messages it reads, however large their content', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    let n = 0;
    const parser = piSource.open({ path: MAIN, ingestedAt: 1 }, { event: () => n++, skip: () => {} });
    const text = 'x'.repeat(1 << 20);
    const before = heap();
    for (let i = 0; i < 64; i++) {
      const entry = {
        type: 'message',
        id: `m${i}`,
        timestamp: '2026-01-10T09:00:00.000Z',
        message: {
          role: 'assistant',
          content: [{ type: 'text', text }],
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          usage: { input: 100 + i, output: 10, cacheRead: 0, cacheWrite: 0, totalTokens: 110 + i },
          timestamp: 1_768_035_600_000 + i,
        },
      };
      parser.line(JSON.stringify(entry), i + 1);
    }
    const held = heap() - before;
    parser.end();
    expect(n).toBe(64);
    expect(held).toBeLessThan(8 << 20);
  });
});
