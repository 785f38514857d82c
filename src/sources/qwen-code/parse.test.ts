import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { LineSource, Skip } from '../source.js';
import { providerOfModel } from './message.js';
import { qwenCodeSource } from './parse.js';

const CHATS = join(import.meta.dirname, '../../../test/fixtures/qwen-code/projects/-home-ana-shop/chats');
const SESSION = '7d3c9a1e-2b4f-4c6d-8e0a-1f2b3c4d5e6f';
const FORK = 'a1b2c3d4-0000-4111-8222-933344445555';
const MAIN = join(CHATS, `${SESSION}.jsonl`);
const FORKED = join(CHATS, `${FORK}.jsonl`);

/** Feeds a file the way the import pipeline does: bytes decoded as UTF-8 with replacement, split on newlines. */
function parseFile(source: LineSource, path: string) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = source.open(
    { path, ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  const text = new TextDecoder('utf-8').decode(readFileSync(path));
  const lines = text.split('\n');
  const open = lines.at(-1) !== '';
  if (!open) lines.pop();
  lines.forEach((line, i) => {
    parser.line(line, i + 1);
  });
  parser.end(open);
  return { events, skips };
}

const row = (e: UnpricedEvent) => [
  e.source_ref!.split(':').at(-1),
  e.model,
  e.input_tokens,
  e.cache_read_tokens,
  e.output_tokens,
  e.reasoning_tokens,
];

describe('qwenCodeSource', () => {
  it('makes one event per assistant record with usageMetadata, split into the ledger convention', () => {
    const { events } = parseFile(qwenCodeSource, MAIN);
    expect(events.map(row)).toEqual([
      // OpenAI-compatible: total = prompt + candidates, so thoughts (150) are inside candidates (400).
      ['2', 'coder-model', 4000, 8000, 400, 150],
      // Gemini's API: total = prompt + candidates + thoughts + tool-use prompt; thoughts added, tool prompt is input.
      ['5', 'gemini-2.5-pro', 3050, 12000, 500, 300],
      ['7', 'claude-sonnet-4-5', 500, 2500, 120, 0],
      ['8', 'qwen3-coder-plus', 900, 0, 60, 0],
      ['14', 'unknown', 100, 0, 10, 0],
    ]);
    expect(events[0]).toMatchObject({
      source: 'qwen-code',
      agent: 'qwen-code',
      provider: 'alibaba',
      operation: 'chat',
      session_id: SESSION,
      project: 'shop',
      user: 'ana',
      requests: 1,
      ts: Date.UTC(2026, 0, 12, 9, 0, 4, 120) * 1000,
      tags: { git_branch: 'main' },
      provider_cost_usd: null,
    });
    expect(events[1]).toMatchObject({ provider: 'google', tags: { thoughts_apart: 'true' } });
    expect(events[2]).toMatchObject({ provider: 'anthropic', tags: { subagent: 'Explore' } });
    expect(events[3]!.tags.reported_total).toBe('999');
    expect(events[4]).toMatchObject({
      provider: null,
      model_requested: null,
      tags: { model_missing: 'true' },
    });
  });

  it('does not count the ui_telemetry record that repeats a call’s usage', () => {
    const { events } = parseFile(qwenCodeSource, MAIN);
    expect(events.filter((e) => e.input_tokens + e.cache_read_tokens === 12000)).toHaveLength(1);
    expect(events.map((e) => e.source_ref!.split(':').at(-1))).not.toContain('3');
  });

  it('skips bad lines with their place and a stable code, and goes on', () => {
    const { skips } = parseFile(qwenCodeSource, MAIN);
    expect(skips.map((s) => [s.ref.slice(MAIN.length + 1), s.code])).toEqual([
      ['9', 'SRC_BAD_JSON'],
      ['10', 'SRC_NUMBER_TOO_LARGE'],
      ['11', 'SRC_BAD_RECORD'],
      ['12', 'SRC_BAD_RECORD'],
      ['13', 'SRC_NOT_UTF8'],
      ['15', 'SRC_TRUNCATED'],
    ]);
    expect(skips[1]!.reason).toContain('usageMetadata.promptTokenCount');
    expect(skips[2]!.reason).toBe(
      'usageMetadata.cachedContentTokenCount (20) exceeds usageMetadata.promptTokenCount (10)',
    );
  });

  it('gives a /branch copy of a call the event of the session it was made in', () => {
    const main = parseFile(qwenCodeSource, MAIN).events;
    const fork = parseFile(qwenCodeSource, FORKED).events;
    expect(fork.map(row)).toEqual([
      ['2', 'coder-model', 4000, 8000, 400, 150],
      ['5', 'qwen3-coder-flash', 2000, 12000, 250, 0],
    ]);
    const strip = (e: UnpricedEvent) => ({ ...e, source_ref: null });
    expect(strip(fork[0]!)).toEqual(strip(main[0]!));
    expect(fork[1]).toMatchObject({ session_id: FORK });
    expect(fork[1]!.event_id).not.toBe(main[0]!.event_id);
  });

  it('gives the same ids on every parse, distinct per call', () => {
    const all = () => [MAIN, FORKED].flatMap((p) => parseFile(qwenCodeSource, p).events);
    const a = all();
    expect(all().map((e) => e.event_id)).toEqual(a.map((e) => e.event_id));
    // The fork's copy of line 2 is the one repeat.
    expect(new Set(a.map((e) => e.event_id)).size).toBe(a.length - 1);
  });

  it('reads on from the middle of a file with nothing carried over', () => {
    const events: UnpricedEvent[] = [];
    const parser = qwenCodeSource.openResumable(
      { path: MAIN, ingestedAt: 1 },
      { event: (e) => events.push(e), skip: () => {} },
      { holdTail: true, state: null },
    );
    const lines = readFileSync(MAIN, 'utf8').split('\n');
    lines.slice(6, 8).forEach((l, i) => {
      parser.line(l, i + 7);
    });
    parser.end(false);
    expect(events.map(row)).toEqual([
      ['7', 'claude-sonnet-4-5', 500, 2500, 120, 0],
      ['8', 'qwen3-coder-plus', 900, 0, 60, 0],
    ]);
    expect(parser.resumeLine()).toBeNull();
  });

  /** A record's message holds prompts, thoughts and tool output; a session log can run to hundreds of MB. */
  it('holds nothing of the records it has read', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    const events: UnpricedEvent[] = [];
    const parser = qwenCodeSource.open(
      { path: MAIN, ingestedAt: 1 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const text = 'x'.repeat(1 << 20);
    const before = heap();
    for (let i = 0; i < 64; i++) {
      const rec = {
        uuid: `r${i}`,
        sessionId: SESSION,
        timestamp: '2026-01-12T09:00:00.000Z',
        type: 'assistant',
        model: 'coder-model',
        message: { role: 'model', parts: [{ text }] },
        usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, totalTokenCount: 110 },
      };
      parser.line(JSON.stringify(rec), i + 1);
    }
    const held = heap() - before;
    parser.end(false);
    expect(events).toHaveLength(64);
    expect(held).toBeLessThan(8 << 20);
  });
});

describe('providerOfModel', () => {
  it('names Alibaba for Qwen’s own models and the family’s vendor for the rest', () => {
    expect(
      [
        'coder-model',
        'qwen3-coder-plus',
        'qwen3.5-plus',
        'Qwen/Qwen3-Coder-480B-A35B-Instruct',
        'qwq-32b',
      ].map(providerOfModel),
    ).toEqual(['alibaba', 'alibaba', 'alibaba', 'alibaba', 'alibaba']);
    expect(
      ['gpt-5', 'claude-opus-4-5', 'gemini-2.5-flash', 'deepseek-r1-distill-qwen-32b', 'kimi-k2'].map(
        providerOfModel,
      ),
    ).toEqual(['openai', 'anthropic', 'google', 'deepseek', null]);
  });
});
