import { deflateSync } from 'node:zlib';

/**
 * A valid PDF 1.4 with one page of text per entry of `pages`: every object and the cross-reference table in plain
 * text, as simple generators (and PDF 1.4 writers) leave them, so its page objects can be read in its bytes.
 */
export function textPdf(pages: readonly string[]): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${pages.length} >>`,
    FONT,
  ];
  for (const [i, text] of pages.entries()) {
    objects.push(page(5 + 2 * i));
    const content = contentOf(text);
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const at of offsets) pdf += `${String(at).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/**
 * The same document as PDF 1.5 writers save it (Word, LibreOffice, pdfTeX by default): the catalog, page tree, font
 * and pages inside a compressed object stream, content streams compressed, a compressed cross-reference stream. No
 * page object can be read in its bytes without inflating them.
 */
export function compressedPdf(pages: readonly string[]): Buffer {
  const n = pages.length;
  // Objects 1 catalog, 2 page tree, 3 font, 4 + 2i page i, 5 + 2i its content; then the object stream, the xref.
  const packed = new Map<number, string>([
    [1, '<< /Type /Catalog /Pages 2 0 R >>'],
    [2, `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`],
    [3, FONT],
  ]);
  for (let i = 0; i < n; i++) packed.set(4 + 2 * i, page(5 + 2 * i));
  const objStm = 4 + 2 * n;
  const size = objStm + 2;
  let body = '';
  let header = '';
  for (const [num, o] of packed) {
    header += `${num} ${body.length} `;
    body += `${o}\n`;
  }
  const chunks: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = chunks[0]!.length;
  const offsets = new Map<number, number>();
  const put = (num: number, dict: string, data: Buffer): void => {
    offsets.set(num, length);
    const b = Buffer.concat([
      Buffer.from(
        `${num} 0 obj\n<< ${dict} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`,
        'latin1',
      ),
      data,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
    chunks.push(b);
    length += b.length;
  };
  for (const [i, text] of pages.entries()) put(5 + 2 * i, '', deflateSync(contentOf(text)));
  put(objStm, `/Type /ObjStm /N ${packed.size} /First ${header.length}`, deflateSync(header + body));
  const xref = Buffer.alloc(size * 7);
  const row = (num: number, type: number, field: number, index: number): void => {
    xref.writeUInt8(type, num * 7);
    xref.writeUInt32BE(field, num * 7 + 1);
    xref.writeUInt16BE(index, num * 7 + 5);
  };
  row(0, 0, 0, 65535);
  for (const [i, num] of [...packed.keys()].entries()) row(num, 2, objStm, i);
  for (const [num, at] of offsets) row(num, 1, at, 0);
  const start = length;
  row(size - 1, 1, start, 0);
  put(size - 1, `/Type /XRef /Size ${size} /W [1 4 2] /Root 1 0 R`, deflateSync(xref));
  chunks.push(Buffer.from(`startxref\n${start}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

function page(content: number): string {
  return `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`;
}

function contentOf(text: string): string {
  return `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
}

/**
 * compressedPdf with its object stream's bytes scrambled, as an encrypted file's are (each stream is ciphertext):
 * no page object can be read in it even inflating.
 */
export function sealedPdf(pages: readonly string[]): Buffer {
  const pdf = compressedPdf(pages);
  const text = pdf.toString('latin1');
  const from = text.indexOf('stream\n', text.indexOf('/Type /ObjStm')) + 'stream\n'.length;
  const to = text.indexOf('endstream', from);
  for (let i = from; i < to; i++) pdf[i] = pdf[i]! ^ 0x5a;
  return pdf;
}
