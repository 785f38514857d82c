import { setOwn } from '../../ledger/own-key.js';
import { emitRecord } from '../canonical.js';
import type { LineParser, LineSource } from '../source.js';
import { splitCsvCells, splitCsvRecord, staysOpen } from './split.js';

const TAG_PREFIX = 'tag.';
/** Columns whose cells are numbers in the canonical record; other cells stay strings. */
const NUMERIC = /_tokens$|^requests$|^web_search_requests$|^audio_ms$|^duration_ms$|^ttft_ms$|^energy_j$/;

/**
 * Canonical events as CSV with a header row: the ledger's field names, `tag.KEY` columns for tags, an empty cell
 * for "not set". A quoted field may span lines.
 */
export const csvSource: LineSource = {
  id: 'csv',
  open(ctx, sink) {
    let header: string[] | null = null;
    let delimiter: ',' | ';' = ',';
    /** The lines of a record whose quoted field is still open, and the line each is. */
    let open: { texts: string[]; lineNos: number[] } | null = null;
    const parser: LineParser = {
      line(text, lineNo) {
        if (open) {
          open.texts.push(text);
          open.lineNos.push(lineNo);
          if (staysOpen(text, delimiter)) return;
        }
        const spanned = open;
        open = null;
        const record = spanned ? spanned.texts.join('\n') : text;
        const startLine = spanned ? spanned.lineNos[0]! : lineNo;
        const row = record.endsWith('\r') ? record.slice(0, -1) : record;
        const cells = splitCsvCells(row, delimiter);
        if (cells === null) {
          open = { texts: [text], lineNos: [lineNo] };
          return;
        }
        let fields = cells.fields;
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
        const bad = cells.stray
          ? 'text after the closing quote of a cell; quote the whole cell, doubling the quotes inside it'
          : fields.length !== header.length
            ? `expected ${header.length} fields as in the header, got ${fields.length}`
            : null;
        if (bad !== null) {
          if (!spanned) return sink.skip({ ref, code: 'SRC_BAD_CSV', reason: bad });
          // A bad record over several lines is most likely a stray quote that ran on until a later cell's quote closed
          // it: the lines after its first are read again as rows of their own, instead of being lost inside it.
          const { texts, lineNos } = spanned;
          sink.skip({
            ref,
            code: 'SRC_BAD_CSV',
            reason: `${bad} (the quote opened on this line closed on line ${lineNos.at(-1)}; the lines after this one were read as rows of their own)`,
          });
          for (let i = 1; i < texts.length; i++) parser.line(texts[i]!, lineNos[i]!);
          return;
        }
        const raw: Record<string, unknown> = {};
        let tags: Record<string, string> | undefined;
        header.forEach((name, i) => {
          const cell = fields[i]!;
          if (cell === '') return;
          if (name.startsWith(TAG_PREFIX)) {
            tags ??= {};
            setOwn(tags, name.slice(TAG_PREFIX.length), cell);
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
        if (!open) return;
        const { texts, lineNos } = open;
        open = null;
        // A header left open has nothing to read the lines after it by.
        const reread = header !== null && texts.length > 1;
        sink.skip({
          ref: `${ctx.path}:${lineNos[0]}`,
          code: 'SRC_BAD_CSV',
          reason: `quoted field never closed before the end of the file${reread ? '; the lines after it were read as rows of one line each' : ''}`,
        });
        if (!reread) return;
        // Lost otherwise as the text of a field that never closed. Their quotes all come in pairs (else the field
        // would have closed), so none of them opens a field again; end() reports it if one does.
        for (let i = 1; i < texts.length; i++) parser.line(texts[i]!, lineNos[i]!);
        parser.end();
      },
    };
    return parser;
  },
};
