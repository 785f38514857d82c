import { emitRecord } from '../canonical.js';
import type { LineSource } from '../source.js';

/** Canonical events, one JSON object a line (docs/ledger.md). Blank lines are allowed and ignored. */
export const jsonlSource: LineSource = {
  id: 'jsonl',
  open(ctx, sink) {
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
      end() {},
    };
  },
};
