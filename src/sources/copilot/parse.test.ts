import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import { loadBundledCatalog } from '../../pricing/bundled-catalog.js';
import { createPricer, type Pricer } from '../../pricing/pricer.js';
import { vendorOfModel } from '../model-vendor.js';
import type { Skip } from '../source.js';
import { copilotSource } from './parse.js';

const STATE = join(import.meta.dirname, '../../../test/fixtures/copilot/home/session-state');
const SHOP = join(STATE, '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/events.jsonl');
const BROKEN = join(STATE, '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d/events.jsonl');
const OPEN = join(STATE, 'c0ffee00-1111-4222-8333-444455556666/events.jsonl');

function feed(path: string, lines: string[], from = 1, state?: string) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = copilotSource.openResumable(
    { path, ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
    { holdTail: false, state },
  );
  lines.forEach((text, i) => {
    parser.line(text, from + i);
  });
  parser.end(false);
  return { events, skips, state: parser.state?.() ?? null };
}

/** The file's lines as the import pipeline gives them: UTF-8 decoded with replacement, split on newlines. */
function linesOf(path: string): string[] {
  const lines = new TextDecoder('utf-8').decode(readFileSync(path)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function parseFile(path: string) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = copilotSource.open(
    { path, ingestedAt: 1_700_000_000_000_000, defaults: { user: 'ana' } },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  linesOf(path).forEach((text, i) => {
    parser.line(text, i + 1);
  });
  parser.end();
  return { events, skips };
}

const row = (e: UnpricedEvent) => [
  Number(e.source_ref!.split(':').at(-1)),
  e.model,
  e.requests,
  e.input_tokens,
  e.cache_read_tokens,
  e.cache_write_5m_tokens,
  e.output_tokens,
  e.reasoning_tokens,
];

describe('copilotSource', () => {
  it('makes one aggregate event per shutdown and model, input without the cache reads and writes it includes', () => {
    const { events, skips } = parseFile(SHOP);
    expect(skips).toEqual([]);
    expect(events.map(row)).toEqual([
      // inputTokens 453,000 of which 405,700 cache reads: 47,300 uncached.
      [4, 'claude-sonnet-4.5', 3, 47_300, 405_700, 0, 13_100, 0],
      [4, 'gpt-5-mini', 2, 1_200, 0, 0, 300, 0],
      // 20,000 − 15,000 read − 2,000 written.
      [7, 'claude-opus-4.6-1m', 5, 3_000, 15_000, 2_000, 1_000, 0],
      [7, 'claude-sonnet-4.5', 1, 900, 0, 0, 50, 0],
    ]);
  });

  /**
   * A resumed session's shutdown counts only the stretch since the resume (Copilot keeps modelMetrics in memory and
   * starts them at zero when a process resumes a session: github/copilot-cli#1628, #3994), so each shutdown is its own
   * event, never a difference from the one before; an open-and-close with no call writes `modelMetrics: {}`.
   */
  it('counts every shutdown of a resumed session on its own, on the day it was written', () => {
    const { events } = parseFile(SHOP);
    const sonnet = events.filter((e) => e.model === 'claude-sonnet-4.5');
    expect(sonnet.map((e) => [e.ts, e.input_tokens + e.cache_read_tokens, e.output_tokens])).toEqual([
      [Date.UTC(2026, 2, 15, 11) * 1000, 453_000, 13_100],
      [Date.UTC(2026, 2, 16, 9, 30) * 1000, 900, 50],
    ]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(4);
  });

  it('attributes each event to the session, its folder and branch at the time, premium requests kept as a tag', () => {
    const { events } = parseFile(SHOP);
    expect(events[0]).toMatchObject({
      source: 'copilot',
      agent: 'copilot',
      session_id: '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      project: 'shop',
      user: 'ana',
      provider: 'anthropic',
      operation: 'chat',
      model_requested: 'claude-sonnet-4.5',
      provider_cost_usd: null,
      tags: { premium_requests: '3', copilot_version: '0.0.400', repository: 'ana/shop', git_branch: 'main' },
    });
    expect(events[1]).toMatchObject({ provider: 'openai', tags: { premium_requests: '0' } });
    // After the resume the session worked in api/ on another branch.
    expect(events[2]).toMatchObject({
      project: 'api',
      tags: { premium_requests: '15', nano_aiu: '61000000000', git_branch: 'feature/cart' },
    });
  });

  it('reports bad lines with file:line and a stable code, and still counts the good models of a shutdown', () => {
    const { events, skips } = parseFile(BROKEN);
    expect(events.map(row)).toEqual([[3, 'gpt-5.1-codex', 4, 3_000, 5_000, 0, 400, 120]]);
    expect(events[0]).toMatchObject({
      session_id: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d',
      project: 'scratch',
      provider: 'openai',
      tags: { premium_requests: '1', copilot_version: '1.0.32', shutdown_type: 'error' },
    });
    expect(events[0]!.tags.git_branch).toBeUndefined();
    expect(skips.map((s) => [Number(s.ref.split(':').at(-1)), s.code])).toEqual([
      [2, 'SRC_BAD_JSON'],
      [3, 'SRC_NUMBER_TOO_LARGE'],
      [4, 'SRC_BAD_RECORD'],
      [5, 'SRC_NOT_UTF8'],
      [6, 'SRC_TRUNCATED'],
    ]);
    expect(skips[1]!.reason).toContain('data.modelMetrics["claude-sonnet-4.5"].usage.inputTokens');
    expect(skips[2]!.reason).toBe(
      'data.modelMetrics["gemini-3-pro-preview"].usage: cacheReadTokens (500) + cacheWriteTokens (0) exceed inputTokens (300)',
    );
    expect(skips[0]!.ref).toBe(`${BROKEN}:2`);
  });

  it('yields nothing for a session that has not shut down yet', () => {
    expect(parseFile(OPEN)).toEqual({ events: [], skips: [] });
  });

  it('reads on from the middle of a grown log with the session it had learnt, giving the same events', () => {
    const lines = linesOf(SHOP);
    const whole = feed(SHOP, lines).events;
    const first = feed(SHOP, lines.slice(0, 4));
    const rest = feed(SHOP, lines.slice(4), 5, first.state!);
    expect([...first.events, ...rest.events]).toEqual(whole);
    // Without the state the folder still names the session, but the folder and branch are unknown.
    const blind = feed(SHOP, lines.slice(6), 7).events;
    expect(blind.map((e) => [e.event_id, e.session_id])).toEqual(
      whole.slice(2).map((e) => [e.event_id, e.session_id]),
    );
    expect(blind[0]!.project).toBeNull();
  });

  it('rejects a reasoning count above the output it is part of, and skips models with no call and no token', () => {
    const line = JSON.stringify({
      id: 'x',
      timestamp: '2026-05-01T00:00:00Z',
      type: 'session.shutdown',
      data: {
        modelMetrics: {
          'gpt-5.2': {
            requests: { count: 1 },
            usage: { inputTokens: 10, outputTokens: 5, reasoningTokens: 6 },
          },
          'gpt-4.1': { requests: { count: 0, cost: 0 }, usage: { inputTokens: 0, outputTokens: 0 } },
          'claude-haiku-4.5': { requests: { count: 2, cost: 0.66 } },
        },
      },
    });
    const { events, skips } = feed(SHOP, [line]);
    expect(events).toEqual([]);
    expect(skips.map((s) => s.reason)).toEqual([
      'data.modelMetrics["gpt-5.2"].usage: reasoningTokens (6) exceeds outputTokens (5)',
      'data.modelMetrics["claude-haiku-4.5"].usage: missing for 2 requests',
    ]);
  });

  /** Prompts, answers and tool output are most of a log; the parser keeps only the session's facts between lines. */
  it('holds nothing of the lines it reads but the session facts', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    const parser = copilotSource.open(
      { path: SHOP, ingestedAt: 0 },
      {
        event: () => {},
        skip: () => {},
      },
    );
    const text = 'x'.repeat(1 << 20);
    const before = heap();
    for (let i = 0; i < 64; i++) {
      parser.line(
        JSON.stringify({ type: 'session.context_changed', data: { cwd: '/a', note: text } }),
        i + 1,
      );
      parser.line(
        JSON.stringify({ type: 'tool.execution_complete', data: { result: { content: text } } }),
        i + 1,
      );
    }
    expect(heap() - before).toBeLessThan(8 << 20);
    parser.end();
  });
});

describe('Copilot model names', () => {
  let pricer: Pricer;
  beforeAll(async () => {
    pricer = createPricer(await loadBundledCatalog(), null);
  });

  // GitHub spells versions with a dot and marks the 1M-context variant `-1m`; the catalog's rules take them as is.
  it.each([
    ['claude-opus-4.6-1m', 'anthropic/claude-opus-4-6'],
    ['claude-sonnet-4.5', 'anthropic/claude-sonnet-4-5'],
    ['claude-haiku-4.5', 'anthropic/claude-haiku-4-5'],
    ['gpt-5.1-codex', 'openai/gpt-5.1'],
    ['gpt-5.4', 'openai/gpt-5.4'],
    ['gemini-3-pro-preview', 'google/gemini-3-pro-preview'],
  ])('%s is priced as %s', (model, entry) => {
    expect(pricer.resolve(model, vendorOfModel(model))?.entry.key).toBe(entry);
  });
});
