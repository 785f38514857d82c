/**
 * RFC 4180 fields of one CSV record. Returns null when a quoted field is still open at the end of `text` (the
 * record continues on the next line), so the caller can append the next line and try again. `delimiter` is `,`, or
 * `;` for files a spreadsheet saved in a locale whose decimal mark is the comma.
 */
export function splitCsvRecord(text: string, delimiter: ',' | ';' = ','): string[] | null {
  return splitCsvCells(text, delimiter)?.fields ?? null;
}

/**
 * splitCsvRecord, and whether text followed a closing quote (`"1"200`): such a record ends there, without the
 * text, which is not what its writer meant — a cell with a quote inside that was not doubled, or a stray quote whose
 * field ran on over the lines after it until another quote closed it.
 */
export function splitCsvCells(
  text: string,
  delimiter: ',' | ';' = ',',
): { fields: string[]; stray: boolean } | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const next = text.indexOf(delimiter, i);
      const end = next < 0 ? text.length : next;
      fields.push(text.slice(i, end));
      i = end;
    }
    if (i >= text.length) return { fields, stray: false };
    if (text[i] !== delimiter) return { fields, stray: true };
    i++;
    if (i === text.length) {
      fields.push('');
      return { fields, stray: false };
    }
  }
}

/**
 * Whether a record whose quoted field was left open on the lines before is still open after its next line `text`:
 * the field's quote does not close on it, or another field opens a quote that does not. Only the new line is
 * scanned, as splitCsvRecord of the whole record would read it; splitting the record again on every line took
 * time quadratic in its lines (a stray quote with 40,000 rows after it: 20 s).
 */
export function staysOpen(text: string, delimiter: ',' | ';' = ','): boolean {
  let i = 0;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return true;
    if (text[q + 1] !== '"') {
      i = q + 1;
      break;
    }
    i = q + 2;
  }
  // The field closed: the record ends here (with stray text after the quote, as splitCsvCells says) or goes on.
  if (text[i] !== delimiter) return false;
  return splitCsvRecord(text.slice(i + 1), delimiter) === null;
}
