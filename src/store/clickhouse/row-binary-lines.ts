import { Writable } from 'node:stream';

const NEWLINE = Buffer.from('\n');

/**
 * A RowBinary stream of one String column written into `out` a line a row (its bytes, then a newline), `row` told of
 * each; `out` is left open. Each row is its length (unsigned LEB128), then its bytes.
 */
export function linesInto(out: Writable, row: () => void): Writable {
  let rest: Buffer = Buffer.alloc(0);
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      const lines: Buffer[] = [];
      let at = 0;
      for (;;) {
        let length = 0;
        let p = at;
        let shift = 0;
        let whole = false;
        while (p < buf.length) {
          const b = buf[p++]!;
          length += (b & 0x7f) * 2 ** shift;
          shift += 7;
          if (b < 0x80) {
            whole = true;
            break;
          }
        }
        if (!whole || p + length > buf.length) break;
        lines.push(buf.subarray(p, p + length), NEWLINE);
        row();
        at = p + length;
      }
      rest = buf.subarray(at);
      if (lines.length === 0 || out.write(Buffer.concat(lines))) done();
      else out.once('drain', () => done());
    },
    final(done) {
      done(rest.length === 0 ? null : new Error('the rows ended in the middle of one'));
    },
  });
}
