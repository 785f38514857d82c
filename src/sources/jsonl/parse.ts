import { emitRecord } from '../canonical.js';
import type { LineSource } from '../source.js';
import { CanonicalByteDecoder } from './decode-bytes.js';

/** Canonical events, one JSON object a line (docs/ledger.md). Blank lines are allowed and ignored. */
export const jsonlSource: LineSource = {
  id: 'jsonl',
  open(ctx, sink) {
    let decoder: CanonicalByteDecoder | undefined;
    return {
      line(text, lineNo) {
        if (text.trim() === '') return;
        const ref = `${ctx.path}:${lineNo}`;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch (e) {
          sink.skip({ ref, code: 'SRC_BAD_JSON', reason: (e as Error).message });
          return;
        }
        emitRecord(raw, 'jsonl', ref, ctx, sink);
      },
      bytes(b, start, end, lineNo) {
        decoder ??= new CanonicalByteDecoder(ctx);
        const e = decoder.decode(b, start, end, lineNo);
        if (e === null) return false;
        sink.event(e);
        return true;
      },
      end() {},
    };
  },
};
