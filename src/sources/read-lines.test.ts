import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Line, readLines, readLinesSync } from './read-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'tl-lines-'));
async function all(path: string, from = {}): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLines(path, from)) out.push(l);
  return out;
}
function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('readLines', () => {
  it('yields lines with numbers and the byte offset of the next line, CRLF and a last line without newline', async () => {
    const lines = await all(file('a.txt', 'one\r\ntwo\nthree'));
    expect(lines.map((l) => [l.text, l.lineNo, l.end])).toEqual([
      ['one', 1, 5],
      ['two', 2, 9],
      ['three', 3, 14],
    ]);
  });

  it('resumes at an offset with the right line numbers', async () => {
    const p = file('b.txt', 'aaa\nbbb\nccc\n');
    const lines = await all(p, { offset: 4, lineNo: 2 });
    expect(lines.map((l) => [l.text, l.lineNo])).toEqual([
      ['bbb', 2],
      ['ccc', 3],
    ]);
  });

  it('keeps multi-byte characters whole and offsets in bytes', async () => {
    const lines = await all(file('c.txt', 'é€\nx\n'));
    expect(lines.map((l) => [l.text, l.end])).toEqual([
      ['é€', 6],
      ['x', 8],
    ]);
  });

  it('marks only the lines whose bytes are not UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('good\n'),
      Buffer.from([0x62, 0xff, 0x61, 0x64, 0x0a]),
      Buffer.from('fine\n'),
    ]);
    const lines = await all(file('d.txt', bytes));
    expect(lines.map((l) => [l.lineNo, l.badUtf8])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
  });

  it('joins lines that straddle the 1 MiB read boundary', async () => {
    const long = 'x'.repeat(700_000);
    const content = Array.from({ length: 5 }, (_, i) => `${i}:${long}`).join('\n');
    const lines = await all(file('e.txt', content));
    expect(lines).toHaveLength(5);
    expect(lines.every((l, i) => l.text === `${i}:${long}` && l.lineNo === i + 1)).toBe(true);
    expect(lines.at(-1)!.end).toBe(Buffer.byteLength(content));
  });

  it('yields a line longer than the read buffer whole, and the lines around it, in both readers', async () => {
    const huge = 'y'.repeat(2_500_000);
    const p = file('huge.txt', `first\n${huge}\nlast\n${huge}`);
    for (const lines of [await all(p), [...readLinesSync(p)]]) {
      expect(lines.map((l) => [l.text.length, l.lineNo, l.end])).toEqual([
        [5, 1, 6],
        [2_500_000, 2, 2_500_007],
        [4, 3, 2_500_012],
        [2_500_000, 4, 5_000_012],
      ]);
    }
  });

  it('yields nothing for an empty file', async () => {
    expect(await all(file('f.txt', ''))).toEqual([]);
  });

  it('with skipUnless, yields object-shaped lines without the text as skipped and decodes the rest', async () => {
    const p = file(
      'filter.jsonl',
      Buffer.concat([
        Buffer.from('\uFEFF{"usage":1}\n{"type":"user","text":"é"}\n  {"a":1} \r\n{"cut":\n'),
        Buffer.from('{"usage":2}'),
      ]),
    );
    const lines = await all(p, { skipUnless: '"usage"' });
    expect(lines.map((l) => [l.lineNo, l.text, l.skipped === true, l.badUtf8, l.end])).toEqual([
      [1, '{"usage":1}', false, false, 15],
      [2, '', true, false, 43],
      [3, '', true, false, 55],
      [4, '{"cut":', false, false, 63],
      [5, '{"usage":2}', false, false, 74],
    ]);
  });

  it('with skipUnless, finds the whole text, not a part of it, even after a partial match on the same line', async () => {
    const p = file(
      'partial.jsonl',
      '{"no_usage":1}\n{"x_usage":0,"usage":3}\n{"usage":4}\n{"a":"usage\\""}\n',
    );
    const lines = await all(p, { skipUnless: '"usage"' });
    expect(lines.map((l) => [l.lineNo, l.text, l.skipped === true])).toEqual([
      [1, '', true],
      [2, '{"x_usage":0,"usage":3}', false],
      [3, '{"usage":4}', false],
      [4, '', true],
    ]);
  });

  it('reads the same lines with blocking reads (worker threads), across 1 MiB reads and bad bytes', async () => {
    const long = 'x'.repeat(700_000);
    const p = file(
      'sync.txt',
      Buffer.concat([
        Buffer.from(`\ufeff{"a":1}\r\n${long}\n${long}é\n`),
        Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
        Buffer.from(`{"usage":1}\n{"b":2}\n${long}`),
      ]),
    );
    for (const from of [{}, { skipUnless: '"usage"' }, { offset: 11, lineNo: 2 }]) {
      const sync = [...readLinesSync(p, from)];
      expect(sync).toEqual(await all(p, from));
      expect(sync.length).toBeGreaterThan(3);
    }
  });
});
