import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { linesInto } from './row-binary-lines.js';

/** ClickHouse's RowBinary of one String column: each row's length as unsigned LEB128, then its bytes. */
function rowBinary(rows: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of rows) {
    const bytes = Buffer.from(r);
    const length: number[] = [];
    let n = bytes.length;
    do {
      length.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    parts.push(Buffer.from(length), bytes);
  }
  return Buffer.concat(parts);
}

async function write(chunks: Buffer[]): Promise<{ text: string; rows: number }> {
  const got: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _e, done) {
      got.push(chunk);
      done();
    },
  });
  let rows = 0;
  await pipeline(
    Readable.from(chunks),
    linesInto(out, () => rows++),
  );
  return { text: Buffer.concat(got).toString(), rows };
}

// Lengths across one- and two-byte LEB128, a line break inside a row (a quoted CSV cell), none at all.
const ROWS = ['a,b', '', 'x'.repeat(127), 'y'.repeat(128), '"q\nr",s', 'é😀'.repeat(300)];

describe('RowBinary rows as lines', () => {
  it('writes each row and a newline, counting rows, however the stream is cut', async () => {
    const whole = rowBinary(ROWS);
    const expected = ROWS.map((r) => `${r}\n`).join('');
    expect(await write([whole])).toEqual({ text: expected, rows: ROWS.length });
    // Cut at every byte: lengths and rows split across chunks.
    for (const size of [1, 2, 3, 7, 129]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < whole.length; i += size) chunks.push(whole.subarray(i, i + size));
      expect(await write(chunks)).toEqual({ text: expected, rows: ROWS.length });
    }
  });

  it('fails on a stream that ends in the middle of a row', async () => {
    const whole = rowBinary(ROWS);
    await expect(write([whole.subarray(0, whole.length - 1)])).rejects.toThrow('ended in the middle of one');
  });
});
