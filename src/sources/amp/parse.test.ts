import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { Skip } from '../source.js';
import { ampSource } from './parse.js';

const THREADS = join(import.meta.dirname, '../../../test/fixtures/amp/data/threads');
const file = (n: number) => join(THREADS, `T-0a1b2c3d-1111-4aaa-8bbb-00000000000${n}.json`);
const CURRENT = file(1);
const LEGACY = file(2);
const SPANNING = file(3);

/** Feeds text the way the import pipeline does: bytes decoded as UTF-8 with replacement, split on newlines. */
function parseText(
  path: string,
  text: string,
  defaults: { user?: string; project?: string } = { user: 'ana' },
) {
  const events: UnpricedEvent[] = [];
  const skips: Skip[] = [];
  const parser = ampSource.open(
    { path, ingestedAt: 1_700_000_000_000_000, defaults },
    { event: (e) => events.push(e), skip: (s) => skips.push(s) },
  );
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((l, i) => {
    parser.line(l, i + 1);
  });
  parser.end();
  return { events, skips };
}
const parseFile = (path: string, defaults?: { user?: string; project?: string }) =>
  parseText(path, new TextDecoder('utf-8').decode(readFileSync(path)), defaults);

/** line, model, input, cache write, cache read, output */
const row = (e: UnpricedEvent) => [
  Number(e.source_ref!.split(':').at(-1)),
  e.model,
  e.input_tokens,
  e.cache_write_5m_tokens,
  e.cache_read_tokens,
  e.output_tokens,
];

describe('ampSource, threads with usage on each assistant message (Amp since ~2026-01-13)', () => {
  it("makes one event per assistant message with usage, Anthropic's split as written", () => {
    const { events, skips } = parseFile(CURRENT);
    expect(events.map(row)).toEqual([
      [42, 'claude-opus-4-5-20251101', 10, 6904, 16371, 220],
      [87, 'claude-opus-4-5-20251101', 15, 379, 23275, 157],
      [108, 'gpt-5', 1928, 0, 3072, 800],
      [149, 'unknown', 40, 0, 100, 9],
    ]);
    expect(events[0]).toMatchObject({
      source: 'amp',
      agent: 'amp',
      provider: 'anthropic',
      operation: 'messages',
      session_id: 'T-0a1b2c3d-1111-4aaa-8bbb-000000000001',
      project: 'shop',
      user: 'ana',
      requests: 1,
      reasoning_tokens: 0,
      cache_write_1h_tokens: 0,
      ts: Date.UTC(2026, 0, 22, 22, 42, 32, 743) * 1000,
      provider_cost_usd: null,
      tags: { amp_credits: '0.1234' },
    });
    expect(skips).toEqual([
      {
        ref: `${CURRENT}:122`,
        code: 'SRC_NUMBER_TOO_LARGE',
        reason:
          'messages[5].usage.inputTokens: 100000000000000000000 is beyond 2^53 and cannot be counted exactly',
      },
      {
        ref: `${CURRENT}:133`,
        code: 'SRC_BAD_RECORD',
        reason: 'messages[6].usage.inputTokens: expected a non-negative integer, got -3',
      },
    ]);
  });

  it('counts input, cache writes and cache reads apart: totalInputTokens is their sum, never added again', () => {
    const [first] = parseFile(CURRENT).events;
    // usage.totalInputTokens 23285 = inputTokens 10 + cacheCreationInputTokens 6904 + cacheReadInputTokens 16371
    expect(first!.input_tokens + first!.cache_write_5m_tokens + first!.cache_read_tokens).toBe(23285);
  });

  it("takes cache reads out of the input when the total says input held them (OpenAI's convention)", () => {
    const gpt = parseFile(CURRENT).events[2]!;
    // inputTokens 5000 = totalInputTokens, cacheReadInputTokens 3072 inside it
    expect(gpt).toMatchObject({ provider: 'openai', operation: 'responses', input_tokens: 1928 });
    expect(gpt.tags).toEqual({ input_included_cache_read: 'true' });
  });

  it('keeps a total that fits neither convention as a tag, and names a missing model', () => {
    const odd = parseFile(CURRENT).events[3]!;
    expect(odd).toMatchObject({ model: 'unknown', model_requested: null, provider: null, operation: null });
    expect(odd.tags).toEqual({ reported_total_input: '150', model_missing: 'true' });
  });

  it('does not take a tool result that quotes a usage object for a call', () => {
    expect(readFileSync(CURRENT, 'utf8')).toContain('"inputTokens": 999999');
    expect(parseFile(CURRENT).events.map((e) => e.input_tokens)).not.toContain(999999);
  });
});

describe('ampSource, threads with a usage ledger (Amp before ~2026-01-13)', () => {
  it('makes one event per ledger event, with the cache counts of the message it answers', () => {
    const { events, skips } = parseFile(LEGACY, { project: 'from-cli' });
    expect(events.map(row)).toEqual([
      [1, 'claude-sonnet-4-5-20250929', 100, 500, 200, 50],
      [1, 'claude-sonnet-4-5-20250929', 30, 0, 0, 12],
      [1, 'claude-haiku-4-5-20251001', 400, 0, 0, 20],
    ]);
    expect(events.map((e) => e.tags)).toEqual([
      { amp_usage: 'ledger', amp_operation: 'inference', amp_credits: '1.5' },
      { amp_usage: 'ledger', amp_operation: 'inference', amp_credits: '0.25' },
      { amp_usage: 'ledger', amp_operation: 'title-generation', amp_credits: '0.01' },
    ]);
    expect(events[0]).toMatchObject({
      ts: Date.UTC(2025, 10, 23, 10, 0, 5, 120) * 1000,
      project: 'from-cli', // the thread names no workspace: --project applies
    });
    expect(skips).toEqual([
      {
        ref: `${LEGACY}:1`,
        code: 'SRC_BAD_RECORD',
        reason:
          'usageLedger.events[3].timestamp: not a timestamp: "not a time" (expected ISO-8601 or epoch milliseconds)',
      },
    ]);
  });
});

describe('ampSource, a thread with both message usage and a ledger', () => {
  it("counts each call once: a message's own usage wins over the ledger event naming it", () => {
    const { events, skips } = parseFile(SPANNING);
    expect(skips).toEqual([]);
    expect(events.map(row)).toEqual([
      [26, 'claude-sonnet-4-5-20250929', 100, 500, 200, 50], // message 1 (ledger evt-a names it: not counted again)
      [75, 'claude-sonnet-4-5-20250929', 7, 0, 1200, 90], // message 5: no ledger event, no timestamp
      [100, 'claude-sonnet-4-5-20250929', 60, 0, 0, 25], // evt-b: its message 3 has no usage of its own
    ]);
    // evt-c names no message: in a thread whose messages carry usage it may be any of them, so it is not counted.
    expect(events.some((e) => e.model.includes('haiku'))).toBe(false);
  });

  it("dates a message without a timestamp by its ledger event, else by the thread's creation (tagged)", () => {
    const [m1, m5, ledger] = parseFile(SPANNING).events;
    expect(m1!.ts).toBe(Date.UTC(2026, 0, 12, 9, 0, 3) * 1000);
    expect(m1!.tags).toEqual({ amp_credits: '1.5' });
    expect(m5!.ts).toBe(1768208400000 * 1000);
    expect(m5!.tags).toEqual({ ts_from: 'thread_created' });
    expect(ledger!.tags.amp_usage).toBe('ledger');
  });

  it('reads the project from the first workspace tree, decoded', () => {
    expect(parseFile(SPANNING).events[0]!.project).toBe('billing api');
  });
});

describe('ampSource, documents that are not whole', () => {
  it('reports a thread cut off mid-write once, at its last line, and takes none of its calls', () => {
    const { events, skips } = parseFile(file(4));
    expect(events).toEqual([]);
    expect(skips).toEqual([
      {
        ref: `${file(4)}:76`,
        code: 'SRC_TRUNCATED',
        reason: 'thread ends before its JSON closes (Amp may be rewriting it); none of its calls was read',
      },
    ]);
  });

  it('reports malformed JSON at the line where it broke', () => {
    expect(parseFile(file(5))).toEqual({
      events: [],
      skips: [
        {
          ref: `${file(5)}:29`,
          code: 'SRC_BAD_JSON',
          reason: 'thread is not JSON ("{" where no value may stand); none of its calls was read',
        },
      ],
    });
  });

  it('reports bytes that are not UTF-8 outside a string as such; inside a string they are harmless', () => {
    const good = readFileSync(CURRENT, 'utf8');
    const inString = parseText(CURRENT, good.replace('Read the test first.', 'Read the test \uFFFD.'));
    expect(inString.events).toHaveLength(4);
    const outside = parseText(CURRENT, good.replace('"inputTokens": 10,', '"inputTokens": \uFFFD,'));
    expect(outside.events).toEqual([]);
    expect(outside.skips.map((s) => [s.ref, s.code])).toEqual([[`${CURRENT}:45`, 'SRC_NOT_UTF8']]);
  });

  it('yields nothing for a thread with no reply yet, or a blank file', () => {
    expect(parseFile(file(6))).toEqual({ events: [], skips: [] });
    expect(parseText(CURRENT, '\n\n')).toEqual({ events: [], skips: [] });
  });
});

describe('ampSource, ids', () => {
  it('gives the same ids on every parse, one per call, whatever the layout of the document', () => {
    const all = () => [CURRENT, LEGACY, SPANNING].flatMap((p) => parseFile(p).events);
    const a = all();
    expect(all().map((e) => [e.event_id, e.ts])).toEqual(a.map((e) => [e.event_id, e.ts]));
    expect(new Set(a.map((e) => e.event_id)).size).toBe(a.length);
    const minified = JSON.stringify(JSON.parse(readFileSync(CURRENT, 'utf8')));
    const flat = parseText(CURRENT, minified).events;
    expect(flat.map((e) => e.event_id)).toEqual(parseFile(CURRENT).events.map((e) => e.event_id));
    expect(flat.map((e) => e.source_ref)).toEqual(flat.map(() => `${CURRENT}:1`));
  });

  it("names the thread by its file when the document does not (id: the file's stem)", () => {
    const doc = JSON.parse(readFileSync(CURRENT, 'utf8')) as Record<string, unknown>;
    delete doc.id;
    const { events } = parseText('/x/threads/T-abc.json', JSON.stringify(doc));
    expect(events[0]!.session_id).toBe('T-abc');
  });

  it('counts a message number that repeats once, and says so', () => {
    const doc = JSON.parse(readFileSync(CURRENT, 'utf8')) as { messages: { messageId: number }[] };
    doc.messages[3]!.messageId = 1;
    const { events, skips } = parseText(CURRENT, JSON.stringify(doc));
    expect(events).toHaveLength(3);
    expect(skips[0]).toMatchObject({
      code: 'SRC_BAD_RECORD',
      reason: "messages[3].messageId 1 repeats an earlier message's: counted once",
    });
  });
});

/**
 * A thread holds every prompt, file read and command output of the conversation, and Amp rewrites it whole; the
 * parser reads it to the end before it can make events, and must hold only the usage records meanwhile.
 */
describe('ampSource, memory', () => {
  it('holds the usage of the messages, not their content, until the end of the thread', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    const events: UnpricedEvent[] = [];
    const parser = ampSource.open(
      { path: CURRENT, ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const text = 'x'.repeat(1 << 20);
    const before = heap();
    parser.line('{"id":"T-big","messages":[', 1);
    for (let i = 0; i < 64; i++) {
      const message = {
        role: 'assistant',
        messageId: i,
        content: [{ type: 'tool_result', output: text }],
        usage: {
          model: 'claude-sonnet-4-5',
          inputTokens: 100,
          outputTokens: 10,
          timestamp: '2026-02-01T10:00:00Z',
        },
      };
      parser.line(`${JSON.stringify(message)}${i < 63 ? ',' : ''}`, i + 2);
    }
    parser.line(']}', 66);
    const held = heap() - before;
    parser.end();
    expect(events).toHaveLength(64);
    // 64 MiB of content went through; the usage of 64 messages is a few KiB.
    expect(held).toBeLessThan(8 << 20);
  });
});
