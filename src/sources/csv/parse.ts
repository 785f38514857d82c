import { emitRecord } from '../canonical.js';
import type { LineSource } from '../source.js';
import { splitCsvRecord } from './split.js';

const TAG_PREFIX = 'tag.';
/** Columns whose cells are numbers in the canonical record; other cells stay strings. */
const NUMERIC = /_tokens$|^requests$|^web_search_requests$|^duration_ms$|^ttft_ms$|^energy_j$/;

/**
 * Canonical events as CSV with a header row: the ledger's field names, `tag.KEY` columns for tags, an empty cell
 * for "not set". A quoted field may span lines.
 */
export const csvSource: LineSource = {
  id: 'csv',
  open(ctx, sink) {
    let header: string[] | null = null;
    let delimiter: ',' | ';' = ',';
    let pending = '';
    let pendingLine = 0;
    return {
      line(text, lineNo) {
        const record = pending ? `${pending}\n${text}` : text;
        const startLine = pending ? pendingLine : lineNo;
        const row = record.endsWith('\r') ? record.slice(0, -1) : record;
        let fields = splitCsvRecord(row, delimiter);
        if (fields === null) {
          pending = record;
          pendingLine = startLine;
          return;
        }
        pending = '';
        if (header === null) {
          // A header with semicolons and no comma: a spreadsheet saved it where the decimal mark is the comma.
          if (fields.length === 1 && fields[0]!.includes(';')) {
            delimiter = ';';
            fields = splitCsvRecord(row, delimiter) ?? fields;
          }
          header = fields.map((f) => f.trim());
          return;
        }
        const ref = `${ctx.path}:${startLine}`;
        if (fields.length === 1 && fields[0] === '') return;
        if (fields.length !== header.length) {
          sink.skip({
            ref,
            code: 'SRC_BAD_CSV',
            reason: `expected ${header.length} fields as in the header, got ${fields.length}`,
          });
          return;
        }
        const raw: Record<string, unknown> = {};
        let tags: Record<string, string> | undefined;
        header.forEach((name, i) => {
          const cell = fields[i]!;
          if (cell === '') return;
          if (name.startsWith(TAG_PREFIX)) {
            tags ??= {};
            tags[name.slice(TAG_PREFIX.length)] = cell;
          } else {
            // A sign and the padding a spreadsheet may leave are still a number: -1 is then told it cannot be
            // negative, where as text it read as "expected a number of tokens, got \"-1\"".
            raw[name] = NUMERIC.test(name) && /^\s*-?\d+(\.\d+)?\s*$/.test(cell) ? Number(cell) : cell;
          }
        });
        if (tags) raw.tags = tags;
        emitRecord(raw, 'csv', ref, ctx, sink);
      },
      end() {
        if (pending) {
          sink.skip({
            ref: `${ctx.path}:${pendingLine}`,
            code: 'SRC_BAD_CSV',
            reason: 'quoted field never closed before the end of the file',
          });
        }
      },
    };
  },
};
