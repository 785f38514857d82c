import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { LineSource, Skip } from '../source.js';
import { geminiCliSource } from './parse.js';

const TMP = join(import.meta.dirname, '../../../test/fixtures/gemini-cli/tmp');
const HASH = '3f9a6c1d2e7b4a5f8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d';
const DOC = join(TMP, HASH, 'chats/session-2025-09-20T10-15-7c1e2a4b.json');
const JSONL = join(TMP, 'my-app/chats/session-2025-11-02T14-30-4b5c6d7e.jsonl');
const SUB = join(
  TMP,
  'my-app/chats/4b5c6d7e-1111-4222-8333-944455556666/9a8b7c6d-2222-4333-8444-a55566677788.jsonl',
);
const BROKEN = join(TMP, 'broken/chats/session-2025-10-01T08-00-deadbeef.json');
const LOGS = join(TMP, 'my-app/logs.json');

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

const row = (e: UnpricedEvent) => [
  e.source_ref!.split(':').at(-1),
  e.model,
  e.input_tokens,
  e.cache_read_tokens,
  e.output_tokens,
  e.reasoning_tokens,
];

describe('geminiCliSource, .json documents', () => {
  it('splits Gemini counts into the ledger convention (thoughts added to output, tool prompt to input)', () => {
    const { events, skips } = parseFile(geminiCliSource, DOC);
    expect(events.map(row)).toEqual([
      ['14', 'gemini-2.5-pro', 4000, 8000, 750, 450],
      ['44', 'unknown', 120, 0, 10, 0],
      ['82', 'gemini-9-ultra', 700, 0, 50, 0],
    ]);
    expect(skips).toEqual([
      {
        ref: `${DOC}:67`,
        code: 'SRC_NUMBER_TOO_LARGE',
        reason: expect.stringContaining('messages[4].tokens.input'),
      },
    ]);
    expect(events[0]).toMatchObject({
      session_id: '7c1e2a4b-5d6f-4a8b-9c0d-1e2f3a4b5c6d',
      project: HASH,
      user: 'ana',
      agent: 'gemini-cli',
      provider: 'google',
      source: 'gemini-cli',
      requests: 1,
      ts: Date.UTC(2025, 8, 20, 10, 15, 9, 250) * 1000,
      tags: { project_hash: HASH },
    });
    expect(events[1]).toMatchObject({ model_requested: null, tags: { model_missing: 'true' } });
    expect(events[2]!.tags.reported_total).toBe('999');
  });

  it('points each message of a minified document at line 1, with the same events as pretty-printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemini-'));
    const path = join(dir, HASH, 'chats/session-2025-09-20T10-15-7c1e2a4b.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(JSON.parse(readFileSync(DOC, 'utf8'))));
    const pretty = parseFile(geminiCliSource, DOC).events.map(row);
    expect(pretty.map((r) => r[0])).toEqual(['14', '44', '82']);
    expect(parseFile(geminiCliSource, path).events.map(row)).toEqual(pretty.map((r) => ['1', ...r.slice(1)]));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a cut-off document once, and yields nothing for JSON files that are not chats', () => {
    const broken = parseFile(geminiCliSource, BROKEN);
    expect(broken.events).toEqual([]);
    expect(broken.skips.map((s) => [s.ref, s.code])).toEqual([[`${BROKEN}:1`, 'SRC_BAD_JSON']]);
    expect(parseFile(geminiCliSource, LOGS)).toEqual({ events: [], skips: [] });
  });
});

describe('geminiCliSource, .jsonl logs', () => {
  it('keeps the last version of each message that has tokens, rewound ones included', () => {
    const { events, skips } = parseFile(geminiCliSource, JSONL);
    expect(events.map(row)).toEqual([
      ['4', 'gemini-2.5-flash', 5000, 0, 300, 100],
      ['7', 'gemini-2.5-flash', 1904, 4096, 80, 0],
      ['13', 'gemini-2.5-flash', 10, 0, 5, 0],
    ]);
    expect(events[0]).toMatchObject({
      session_id: '4b5c6d7e-1111-4222-8333-944455556666',
      project: 'my-app',
    });
    expect(skips.map((s) => [s.ref.split(':').at(-1), s.code])).toEqual([
      ['10', 'SRC_BAD_JSON'],
      ['11', 'SRC_NOT_UTF8'],
      ['14', 'SRC_TRUNCATED'],
      ['12', 'SRC_BAD_RECORD'],
    ]);
    expect(skips[3]!.reason).toBe('tokens.cached (20) exceeds tokens.input (10)');
  });

  it('attributes a subagent log to its parent session and tags the subagent', () => {
    const { events } = parseFile(geminiCliSource, SUB);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      session_id: '4b5c6d7e-1111-4222-8333-944455556666',
      project: 'my-app',
      model: 'gemini-2.5-flash-lite',
      input_tokens: 900,
      output_tokens: 40,
      tags: { subagent: '9a8b7c6d-2222-4333-8444-a55566677788' },
    });
  });

  /**
   * Resuming a `.json` session, Gemini CLI migrates it to a `.jsonl` twin beside it and leaves the `.json` in place
   * (google-gemini/gemini-cli packages/core/src/services/chatRecordingService.ts `initialize`: conversationFile + 'l',
   * a header with the same sessionId, every message appended again, then `$set: {sessionId}`). Both files are found;
   * their messages must give the same events so the store keeps them once.
   */
  it('gives a resumed .json session and its migrated .jsonl twin the same event ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemini-'));
    const doc = JSON.parse(readFileSync(DOC, 'utf8')) as {
      sessionId: string;
      projectHash: string;
      messages: [];
    };
    const twin = join(dir, HASH, 'chats/session-2025-09-20T10-15-7c1e2a4b.jsonl');
    mkdirSync(dirname(twin), { recursive: true });
    const header = {
      sessionId: doc.sessionId,
      projectHash: doc.projectHash,
      startTime: '2025-09-20T10:15:00.000Z',
    };
    const lines = [header, ...doc.messages, { $set: { sessionId: doc.sessionId } }];
    writeFileSync(twin, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const ids = (path: string) =>
      parseFile(geminiCliSource, path).events.map((e) => [e.event_id, e.session_id]);
    expect(ids(twin)).toEqual(ids(DOC));
    expect(ids(twin)).toHaveLength(3);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A message's content, thoughts and tool results (whole files read, command output) are most of a log's bytes, and
   * a session log can run to hundreds of MB; the parser holds each message until the end of the file to keep its last
   * version, and must hold only its usage there, not the text.
   */
  it('holds only the usage of the messages it keeps until the end of the file, not their content', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    const events: UnpricedEvent[] = [];
    const parser = geminiCliSource.open(
      { path: JSONL, ingestedAt: 1_700_000_000_000_000 },
      { event: (e) => events.push(e), skip: () => {} },
    );
    const text = 'x'.repeat(1 << 20);
    const before = heap();
    for (let i = 0; i < 64; i++) {
      const message = {
        id: `m${i}`,
        timestamp: '2025-11-02T14:30:00.000Z',
        type: 'gemini',
        model: 'gemini-2.5-flash',
        content: [{ text }],
        tokens: { input: 100, output: 10, cached: 0, thoughts: 0, tool: 0, total: 110 },
      };
      parser.line(JSON.stringify(message), i + 1);
    }
    const held = heap() - before;
    parser.end();
    expect(events).toHaveLength(64);
    // 64 MiB of content went through; the usage of 64 messages is a few KiB.
    expect(held).toBeLessThan(8 << 20);
  });

  it('gives the same ids on every parse, distinct per message', () => {
    const all = () => [DOC, JSONL, SUB].flatMap((p) => parseFile(geminiCliSource, p).events);
    const a = all();
    expect(all().map((e) => [e.event_id, e.ts])).toEqual(a.map((e) => [e.event_id, e.ts]));
    expect(new Set(a.map((e) => e.event_id)).size).toBe(a.length);
  });
});
