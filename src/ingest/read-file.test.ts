/**
 * A line longer than a JavaScript string can hold (512 MiB) threw while being decoded and ended the whole import.
 * It is reported at its line and the rest of the file is read. The limit is lowered here so the test writes a few
 * kilobytes rather than half a gigabyte.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { claudeCodeSource } from '../sources/claude-code/parse.js';
import { createCollectingSink } from '../sources/collect-sink.js';
import { readFile } from './read-file.js';
import { emptySummary } from './summary.js';

vi.mock('node:buffer', async (importOriginal) => {
  const buffer = await importOriginal<typeof import('node:buffer')>();
  return { ...buffer, constants: { ...buffer.constants, MAX_STRING_LENGTH: 1000 } };
});

const response = (id: string, text: string) =>
  JSON.stringify({
    sessionId: 's1',
    timestamp: '2026-02-10T21:12:01.669Z',
    requestId: `req_${id}`,
    message: {
      id: `msg_${id}`,
      model: 'claude-opus-4-6',
      content: [{ type: 'text', text }],
      usage: { input_tokens: 3, output_tokens: 13 },
    },
  });

describe('readFile with a line longer than a string can hold', () => {
  it.each([
    ['valid UTF-8', []],
    // A byte that is not UTF-8 (inside a string, so harmless) makes the reader decode its chunk line by line.
    ['with a line that is not UTF-8', [Buffer.from('{"type":"user","note":"\xff"}', 'latin1')]],
  ])('reports it at its line as SRC_LINE_TOO_LONG and reads on (%s)', async (_, before) => {
    const path = join(mkdtempSync(join(tmpdir(), 'tl-long-')), 'session.jsonl');
    const lines = [...before, response('a', 'hi'), response('b', 'x'.repeat(2000)), response('c', 'ok')];
    writeFileSync(path, Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from('\n')])));
    const at = (n: number) => `${path}:${before.length + n}`;
    const sink = createCollectingSink();
    const plan = {
      read: true as const,
      offset: 0,
      lineNo: 1,
      holdTail: false,
      check: null,
      parserState: null,
      mtimeMs: 0,
      size: statSync(path).size,
    };
    await readFile(
      claudeCodeSource,
      path,
      plan,
      { mode: 'append', judge: true, skipUnless: '"usage"' },
      { ingestedAt: 0 },
      sink,
      emptySummary(),
      () => undefined,
      () => undefined,
    );
    expect(sink.events.map((e) => e.source_ref)).toEqual([at(1), at(3)]);
    expect(sink.skips).toEqual([expect.objectContaining({ ref: at(2), code: 'SRC_LINE_TOO_LONG' })]);
  });
});
