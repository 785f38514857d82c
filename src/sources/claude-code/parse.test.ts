import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import { loadPricer } from '../../pricing/load.js';
import type { LineSource, Skip } from '../source.js';
import { claudeCodeSource } from './parse.js';

const FIXTURES = join(
  import.meta.dirname,
  '../../../test/fixtures/claude-code/config/projects/-home-ana-shop',
);
const MAIN = join(FIXTURES, '0b8c3a52-6a1e-4f0e-9d43-2f6f3c1d9a01.jsonl');
const SUB = join(FIXTURES, '0b8c3a52-6a1e-4f0e-9d43-2f6f3c1d9a01/subagents/agent-a7be2f0.jsonl');
const BAD = join(FIXTURES, '9d2e7f10-3c4b-4a5d-8e6f-7a8b9c0d1e2f.jsonl');

/** Feeds a file the way the import pipeline does: bytes decoded as UTF-8 with replacement, split on newlines. */
function parseFile(source: LineSource, path: string, user: string | null = 'ana') {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = source.open(
    { path, ingestedAt: 1_700_000_000_000_000, defaults: { user } },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  const lines = new TextDecoder('utf-8').decode(readFileSync(path)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((text, i) => {
    parser.line(text.replace(/\r$/, ''), i + 1);
  });
  parser.end();
  return { events, skips };
}

describe('claudeCodeSource', () => {
  it('keeps one event per (message.id, requestId): the line with the largest total, at the first timestamp', () => {
    const { events, skips } = parseFile(claudeCodeSource, MAIN);
    expect(skips).toEqual([]);
    expect(events.map((e) => e.model)).toEqual([
      'claude-opus-4-6',
      'claude-sonnet-4-5-20250929',
      'claude-opus-9-9',
    ]);
    const a = events[0]!;
    expect(a).toMatchObject({
      input_tokens: 3,
      output_tokens: 250,
      cache_read_tokens: 5000,
      cache_write_5m_tokens: 100,
      cache_write_1h_tokens: 2000,
      reasoning_tokens: 0,
      requests: 1,
      ts: Date.UTC(2026, 1, 10, 10, 0, 2, 100) * 1000,
      source: 'claude-code',
      source_ref: `${MAIN}:3`,
      session_id: '0b8c3a52-6a1e-4f0e-9d43-2f6f3c1d9a01',
      project: 'shop',
      user: 'ana',
      agent: 'claude-code',
      provider: 'anthropic',
      model_requested: 'claude-opus-4-6',
      service_tier: 'standard',
      status: 'ok',
      provider_cost_usd: null,
    });
    expect(a.tags).toEqual({ version: '2.1.39', git_branch: 'main' });
  });

  // Fast mode is reported as usage.speed beside usage.service_tier (platform.claude.com, Fast mode).
  it('records a response made in fast mode in the service tier `fast`, which prices it', () => {
    const events: UnpricedEvent[] = [];
    const parser = claudeCodeSource.open(
      { path: 'fast.jsonl', ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const line = (id: string, speed: string) =>
      JSON.stringify({
        type: 'assistant',
        sessionId: 's-1',
        requestId: `req_${id}`,
        timestamp: '2026-04-01T10:00:00.000Z',
        message: {
          id: `msg_${id}`,
          model: 'claude-opus-4-6',
          usage: { input_tokens: 10, output_tokens: 5, service_tier: 'standard', speed },
        },
      });
    parser.line(line('a', 'fast'), 1);
    parser.line(line('b', 'standard'), 2);
    parser.end();
    expect(events.map((e) => e.service_tier)).toEqual(['fast', 'standard']);
  });

  // usage.inference_geo says where the call ran; `us` costs 1.1× (pricing.md), `global` and `not_available` nothing.
  it('tags a response that ran in a priced geography with inference_geo', () => {
    const events: UnpricedEvent[] = [];
    const parser = claudeCodeSource.open(
      { path: 'geo.jsonl', ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    ['us', 'global', 'not_available'].forEach((geo, i) => {
      parser.line(
        JSON.stringify({
          type: 'assistant',
          sessionId: 's-1',
          requestId: `req_${i}`,
          timestamp: '2026-04-01T10:00:00.000Z',
          message: {
            id: `msg_${i}`,
            model: 'claude-opus-4-6',
            usage: { input_tokens: 1, output_tokens: 1, inference_geo: geo },
          },
        }),
        i + 1,
      );
    });
    parser.end();
    expect(events.map((e) => e.tags.inference_geo ?? null)).toEqual(['us', null, null]);
  });

  // The WebSearch tool's searches are in message.usage.server_tool_use, counted cumulatively like the tokens; its
  // web fetches cost tokens only (https://platform.claude.com/docs/en/about-claude/pricing, Tool use pricing).
  it('counts the web searches of a response, and its cost is the tokens + $10 per 1,000 searches', async () => {
    const events: UnpricedEvent[] = [];
    const parser = claudeCodeSource.open(
      { path: 'search.jsonl', ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const line = (at: string, output: number, searches: number) =>
      JSON.stringify({
        type: 'assistant',
        sessionId: 's-1',
        requestId: 'req_search',
        timestamp: at,
        message: {
          id: 'msg_search',
          model: 'claude-sonnet-4-5-20250929',
          usage: {
            input_tokens: 12,
            cache_creation_input_tokens: 1000,
            cache_read_input_tokens: 20000,
            output_tokens: output,
            server_tool_use: { web_search_requests: searches, web_fetch_requests: 1 },
            service_tier: 'standard',
          },
        },
      });
    parser.line(line('2026-04-01T10:00:00.000Z', 8, 1), 1);
    parser.line(line('2026-04-01T10:00:09.000Z', 400, 3), 2);
    parser.end();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ output_tokens: 400, web_search_requests: 3 });
    const priced = (await loadPricer({ cwd: FIXTURES, env: {} })).price(events[0]!);
    // Sonnet 4.5: 12 × $3 + 20,000 × $0.30 + 1,000 × $3.75 + 400 × $15 per 1M = $0.015786, + 3 × $0.01 = $0.045786
    expect(priced.cost_usd).toBe(45_786_000_000n);
  });

  // Behind an LLM gateway whose answers carry no `request-id` header, Claude Code writes its lines without
  // `requestId` but still one line per content block, sharing message.id (ccusage/ccusage#976, #985: a 1.6–3.7×
  // overcount when such lines are counted one by one). Some relays also give every response the same message.id
  // (ccusage/ccusage#1635), so the id alone does not name a response: the lines of one response also share its input
  // side (input, cache read, cache write), as every response of the 2.1.38–2.1.39 reference logs does.
  it('keeps one event per response when the lines have no requestId, without merging responses that share an id', () => {
    const events: UnpricedEvent[] = [];
    const parser = claudeCodeSource.open(
      { path: 'gateway.jsonl', ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const line = (uuid: string, at: string, id: string, input: number, output: number) =>
      JSON.stringify({
        type: 'assistant',
        uuid,
        sessionId: 's-gw',
        timestamp: at,
        message: {
          id,
          model: 'claude-sonnet-4-5-20250929',
          usage: { input_tokens: input, cache_read_input_tokens: 900, output_tokens: output },
        },
      });
    parser.line(line('u-1', '2026-04-01T10:00:00.000Z', 'msg_a', 40, 2), 1);
    parser.line(line('u-2', '2026-04-01T10:00:01.000Z', 'msg_a', 40, 2), 2);
    parser.line(line('u-3', '2026-04-01T10:00:02.000Z', 'msg_a', 40, 120), 3);
    // A relay that reuses the id: the next response has a larger context, so it is another call.
    parser.line(line('u-4', '2026-04-01T10:00:05.000Z', 'msg_a', 55, 3), 4);
    parser.line(line('u-5', '2026-04-01T10:00:06.000Z', 'msg_a', 55, 80), 5);
    parser.end();
    expect(events.map((e) => [e.input_tokens, e.output_tokens, e.cache_read_tokens, e.source_ref])).toEqual([
      [40, 120, 900, 'gateway.jsonl:3'],
      [55, 80, 900, 'gateway.jsonl:5'],
    ]);
    expect(events[0]!.ts).toBe(Date.UTC(2026, 3, 1, 10, 0, 0) * 1000);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(2);
  });

  // The API now says how many of output_tokens were thinking: usage.output_tokens_details.thinking_tokens, "Always ≤
  // output_tokens" (@anthropic-ai/sdk 1.14.0, resources/messages/messages.d.ts `OutputTokensDetails`). Claude Code
  // logs message.usage as the API returned it (the 2.1.38–2.1.39 reference logs carry its `iterations` and
  // `inference_geo` verbatim), so newer logs carry it too.
  it('records the thinking part of the output as reasoning tokens, within the output', () => {
    const events: UnpricedEvent[] = [];
    const parser = claudeCodeSource.open(
      { path: 'thinking.jsonl', ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const line = (id: string, output: number, details: unknown) =>
      JSON.stringify({
        type: 'assistant',
        sessionId: 's-1',
        requestId: `req_${id}`,
        timestamp: '2026-04-01T10:00:00.000Z',
        message: {
          id: `msg_${id}`,
          model: 'claude-opus-4-6',
          usage: { input_tokens: 2, output_tokens: output, output_tokens_details: details },
        },
      });
    parser.line(line('a', 2087, { thinking_tokens: 1916 }), 1);
    parser.line(line('b', 3, { thinking_tokens: 9 }), 2);
    parser.line(line('c', 40, null), 3);
    parser.end();
    expect(events.map((e) => [e.output_tokens, e.reasoning_tokens])).toEqual([
      [2087, 1916],
      [3, 3],
      [40, 0],
    ]);
  });

  // Server-side compaction samples the model once more; "A `compaction` entry's tokens are not included in the
  // top-level `usage` fields" (@anthropic-ai/sdk 1.14.0, resources/beta/messages/messages.d.ts `BetaUsage.iterations`,
  // `BetaCompactionIterationUsage`). Claude Code logs usage.iterations as the API returns it (`"iterations":[]` on
  // the 2.1.38–2.1.39 reference logs); `message` entries are the top-level fields' own steps.
  it('adds the tokens of a compaction iteration, and judges the long-context tier by the answer alone', async () => {
    const events: UnpricedEvent[] = [];
    const parser = claudeCodeSource.open(
      { path: 'compaction.jsonl', ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const top = {
      input_tokens: 20,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 9000,
      output_tokens: 300,
    };
    parser.line(
      JSON.stringify({
        type: 'assistant',
        sessionId: 's-1',
        requestId: 'req_c',
        timestamp: '2026-04-01T10:00:00.000Z',
        message: {
          id: 'msg_c',
          model: 'claude-sonnet-4-5-20250929',
          usage: {
            ...top,
            cache_creation: { ephemeral_5m_input_tokens: 9000, ephemeral_1h_input_tokens: 0 },
            iterations: [
              {
                type: 'compaction',
                input_tokens: 180_000,
                cache_read_input_tokens: 40_000,
                cache_creation_input_tokens: 0,
                cache_creation: null,
                output_tokens: 3500,
              },
              { type: 'message', ...top },
            ],
          },
        },
      }),
      1,
    );
    parser.end();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      input_tokens: 180_020,
      cache_read_tokens: 40_000,
      cache_write_5m_tokens: 9000,
      output_tokens: 3800,
      tags: { context_input_tokens: '9020' },
    });
    const priced = (await loadPricer({ cwd: FIXTURES, env: {} })).price(events[0]!);
    // Base Sonnet 4.5 rates although 229,020 input tokens are counted: the answer's own context is 9,020.
    // 180,020 × $3 + 40,000 × $0.30 + 9,000 × $3.75 + 3,800 × $15 per 1M = $0.64281
    expect(priced.cost_usd).toBe(642_810_000_000n);
  });

  // Lines that carry a usage block but are not a call of this log, trimmed from the 2.1.39 reference logs
  // (session 4d5611e5-…): a subagent's call echoed in an `agent_progress` line (its own line is in
  // subagents/agent-a2898e3.jsonl), the Task tool's result with the subagent's usage and totalTokens (a sum of the
  // same calls), and the compaction marker and summary (the compaction call itself is subagents/agent-acompact-*.jsonl).
  it('counts no usage that only echoes a subagent call, nor the compaction marker and summary', () => {
    const events: UnpricedEvent[] = [];
    const skips: Skip[] = [];
    const parser = claudeCodeSource.open(
      { path: 'echoes.jsonl', ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: (k) => skips.push(k) },
    );
    const usage = { input_tokens: 3, cache_creation_input_tokens: 13522, output_tokens: 3 };
    const lines = [
      {
        type: 'progress',
        sessionId: 's-1',
        timestamp: '2026-02-12T16:02:51.467Z',
        data: {
          type: 'agent_progress',
          agentId: 'a2898e3',
          message: {
            type: 'assistant',
            requestId: 'req_011CY4TSxK7aKeeVwvVX81aP',
            message: { id: 'msg_016xcKQRzQXv2gLKoiSyUZxc', model: 'claude-sonnet-4-5-20250929', usage },
          },
        },
      },
      {
        type: 'user',
        sessionId: 's-1',
        timestamp: '2026-02-12T16:05:10.054Z',
        message: { role: 'user', content: [] },
        toolUseResult: { status: 'completed', agentId: 'a2898e3', totalTokens: 76365, usage },
      },
      {
        type: 'system',
        subtype: 'compact_boundary',
        sessionId: 's-1',
        timestamp: '2026-02-12T20:30:28.504Z',
        compactMetadata: { trigger: 'auto', preTokens: 170251 },
      },
      {
        type: 'user',
        isCompactSummary: true,
        sessionId: 's-1',
        timestamp: '2026-02-12T20:30:28.504Z',
        message: { role: 'user', content: 'This session is being continued… "usage"' },
      },
    ];
    lines.forEach((l, i) => {
      parser.line(JSON.stringify(l), i + 1);
    });
    parser.end();
    expect(events).toEqual([]);
    expect(skips).toEqual([]);
  });

  it('counts all cache writes as 5m when the split is absent and keeps costUSD exactly', () => {
    const b = parseFile(claudeCodeSource, MAIN).events[1]!;
    expect(b).toMatchObject({
      cache_write_5m_tokens: 300,
      cache_write_1h_tokens: 0,
      cache_read_tokens: 7100,
    });
    expect(b.provider_cost_usd).toBe(12_300_000_000n); // $0.0123 in pico-dollars
  });

  it('skips <synthetic> API-error lines silently and passes unknown models through for the pricer', () => {
    const { events } = parseFile(claudeCodeSource, MAIN);
    expect(events.some((e) => e.model === '<synthetic>')).toBe(false);
    expect(events[2]).toMatchObject({ model: 'claude-opus-9-9', input_tokens: 10, output_tokens: 20 });
  });

  it('tags subagent logs with the file and isSidechain, under the parent session', () => {
    const { events } = parseFile(claudeCodeSource, SUB);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      output_tokens: 61,
      cache_write_5m_tokens: 400,
      session_id: '0b8c3a52-6a1e-4f0e-9d43-2f6f3c1d9a01',
      tags: {
        sidechain: 'true',
        subagent: 'agent-a7be2f0',
        agent_id: 'a7be2f0',
        git_branch: 'main',
        version: '2.1.39',
      },
    });
  });

  it('reports each bad line with path:line and a stable code, and keeps the good ones', () => {
    const { events, skips } = parseFile(claudeCodeSource, BAD);
    expect(skips.map((s) => [s.ref, s.code])).toEqual([
      [`${BAD}:2`, 'SRC_BAD_JSON'],
      [`${BAD}:3`, 'SRC_BAD_RECORD'],
      [`${BAD}:4`, 'SRC_NUMBER_TOO_LARGE'],
      [`${BAD}:5`, 'SRC_NOT_UTF8'],
      [`${BAD}:7`, 'SRC_BAD_RECORD'],
      [`${BAD}:8`, 'SRC_BAD_RECORD'],
      [`${BAD}:11`, 'SRC_TRUNCATED'],
    ]);
    expect(skips[1]!.reason).toContain('message.usage.output_tokens');
    expect(skips[4]!.reason).toContain('timestamp');
    expect(skips[5]!.reason).toContain('message.model');
    // Line 6 has a non-UTF-8 byte inside a JSON string: it decodes to U+FFFD in text we do not keep, so it counts.
    expect(events.map((e) => [e.source_ref, e.input_tokens, e.output_tokens])).toEqual([
      [`${BAD}:1`, 7, 70],
      [`${BAD}:6`, 1, 2],
      [`${BAD}:10`, 4, 5],
    ]);
    // No cwd on line 10: the project comes from the project folder; no ids: the event id comes from the line uuid.
    expect(events[2]).toMatchObject({ project: '-home-ana-shop', tags: { version: '2.1.39' } });
  });

  it('gives the same ids when a file is parsed twice, and different ids to different responses', () => {
    const first = [...parseFile(claudeCodeSource, MAIN).events, ...parseFile(claudeCodeSource, BAD).events];
    const again = [...parseFile(claudeCodeSource, MAIN).events, ...parseFile(claudeCodeSource, BAD).events];
    expect(again.map((e) => [e.event_id, e.ts])).toEqual(first.map((e) => [e.event_id, e.ts]));
    expect(new Set(first.map((e) => e.event_id)).size).toBe(first.length);
    expect(first[0]!.event_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('leaves user null when the CLI gives none, and never emits before end()', () => {
    const events: UnpricedEvent[] = [];
    const p = claudeCodeSource.open(
      { path: MAIN, ingestedAt: 1 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    readFileSync(MAIN, 'utf8')
      .split('\n')
      .forEach((t, i) => {
        p.line(t, i + 1);
      });
    expect(events).toHaveLength(0);
    p.end();
    expect(events).toHaveLength(3);
    expect(events[0]!.user).toBeNull();
  });
});
