import { describe, expect, it } from 'vitest';
import { Rng } from '../sources/demo/prng.js';
import { nextEventEnd, SseSplitter } from './sse.js';

/** The framing as the WHATWG EventSource text states it: an event ends at a blank line, `\r?\n\r?\n`. */
function regexEnds(text: string): number[] {
  const ends: number[] = [];
  const boundary = /\r?\n\r?\n/g;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) ends.push(m.index + m[0].length);
  return ends;
}

describe('SSE framing on bytes', () => {
  it('ends events where the blank-line rule does, for any mix of CR and LF', () => {
    const rng = new Rng(7);
    const next = () => rng.next();
    for (let n = 0; n < 2000; n++) {
      const text = Array.from(
        { length: 1 + Math.floor(next() * 24) },
        () => 'ab\r\n'[Math.floor(next() * 4)],
      ).join('');
      const ends: number[] = [];
      const buf = Buffer.from(text, 'latin1');
      for (let e = nextEventEnd(buf, 0); e !== -1; e = nextEventEnd(buf, e)) ends.push(e);
      expect(ends, JSON.stringify(text)).toEqual(regexEnds(text));
    }
  });

  it('gives back every byte once, whole events as they complete, wherever the chunks split', () => {
    const rng = new Rng(11);
    const next = () => rng.next();
    const stream = Buffer.from(
      'data: {"a":"é✓"}\r\n\r\nevent: x\ndata: 1\n\n\ndata: 2\n\r\ndata: tail',
      'utf8',
    );
    for (let n = 0; n < 500; n++) {
      const cuts = [0, ...Array.from({ length: 1 + (n % 8) }, () => Math.floor(next() * stream.length))].sort(
        (a, b) => a - b,
      );
      const splitter = new SseSplitter();
      const out: Buffer[] = [];
      for (let i = 0; i < cuts.length; i++)
        out.push(splitter.completed(stream.subarray(cuts[i], cuts[i + 1])));
      const whole = Buffer.concat(out);
      expect(regexEnds(whole.toString('latin1')).at(-1)).toBe(whole.length);
      const tail = splitter.end();
      expect(regexEnds(tail.toString('latin1'))).toEqual([]);
      expect(Buffer.concat([whole, tail]).equals(stream)).toBe(true);
    }
  });

  it('finds a blank line split over reads of one byte each, and holds a long event without copying it at every read', () => {
    const stream = Buffer.from('data: 1\r\n\r\ndata: 2\n\r\ndata: 3\n\ndata: tail', 'latin1');
    const splitter = new SseSplitter();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      const done = splitter.completed(stream.subarray(i, i + 1));
      if (done.length !== 0) out.push(done.toString('latin1'));
    }
    expect(out).toEqual(['data: 1\r\n\r\n', 'data: 2\n\r\n', 'data: 3\n\n']);
    expect(splitter.end().toString('latin1')).toBe('data: tail');
    // 4 MB in 1 kB reads: linear, well under a second (joining the tail at every read copied ~8 GB).
    const long = new SseSplitter();
    const read = Buffer.alloc(1024, 0x41);
    const started = performance.now();
    for (let i = 0; i < 4096; i++) expect(long.completed(read).length).toBe(0);
    expect(long.completed(Buffer.from('\n\n')).length).toBe(4 * 1024 * 1024 + 2);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
