import { constants, inflateSync } from 'node:zlib';

/*
 * The pages of a PDF a request sends, for the providers that bill a PDF page by page (its text and an image of each
 * page: Anthropic's `document` blocks, OpenAI's file inputs). The request holds neither a page's text nor the size
 * of its image, so a page is priced by the one published measure, Anthropic's
 * (https://platform.claude.com/docs/en/build-with-claude/pdf-support, "Estimate your costs").
 */

/** A page's text at the top of Anthropic's typical range ("typically 1,500-3,000 tokens per page"), for a bound. */
export const PAGE_TEXT_BOUND = 3_000;
/**
 * A page's text and image as Anthropic measured them: "approximately 7,000 tokens for a 3-page PDF" (the PDF support
 * page above, of Amazon Bedrock's mode that "processes each page as both text and image").
 */
export const PAGE_ESTIMATE = 2_334;
/**
 * The fewest bytes a page takes, for a PDF whose page objects cannot be read (encrypted, or compressed with a filter
 * other than Flate): its page object and content stream, ~130 bytes for a page of one line (test/helpers/pdf.ts).
 */
const MIN_PAGE_BYTES = 100;
/** The bytes of a typical page of such a PDF (text, its share of the fonts, some graphics): a rough figure. */
const TYPICAL_PAGE_BYTES = 50_000;
/** The pages of a PDF by URL or file id, whose bytes the request does not hold, for an estimate: a guess. */
const UNSEEN_PAGES = 10;

/** The most pages `pdf` can have: its page objects, or, where those cannot be read, one per 100 bytes. */
export function pagesBound(pdf: Buffer): number {
  return pdfPages(pdf) ?? Math.ceil(pdf.length / MIN_PAGE_BYTES);
}

/**
 * The pages `pdf` likely has: its page objects, or, where those cannot be read, one per typical page's bytes; a PDF
 * by URL or file id (null) at a guess of UNSEEN_PAGES.
 */
export function pagesEstimate(pdf: Buffer | null): number {
  if (pdf === null) return UNSEEN_PAGES;
  return pdfPages(pdf) ?? Math.ceil(pdf.length / TYPICAL_PAGE_BYTES);
}

/**
 * The page objects of a PDF (`/Type /Page`, not the `/Pages` of its page tree), in its bytes and in its compressed
 * object streams (PDF 1.5 writers — Word, LibreOffice, pdfTeX — keep every page object in one), or null when it
 * shows none: an encrypted file, or a stream compressed some other way than Flate.
 */
export function pdfPages(pdf: Buffer): number | null {
  const text = pdf.toString('latin1');
  let pages = text.match(PAGE_OBJECT)?.length ?? 0;
  for (const stream of objectStreams(pdf, text)) pages += stream.match(PAGE_OBJECT)?.length ?? 0;
  return pages > 0 ? pages : null;
}

/**
 * The inflated text of each Flate-compressed object stream (`/Type /ObjStm`, PDF 32000-1, 7.5.7) found in the file.
 * A stream runs from the end of line after its `stream` keyword to `endstream`; Z_SYNC_FLUSH inflates what it can
 * of a stream whose end is not where the keyword suggests, rather than throwing.
 */
function* objectStreams(pdf: Buffer, text: string): Generator<string> {
  for (const m of text.matchAll(OBJECT_STREAM)) {
    const keyword = text.indexOf('stream', m.index);
    if (keyword < 0 || !text.slice(text.lastIndexOf('obj', m.index), keyword).includes('/FlateDecode'))
      continue;
    let from = keyword + 'stream'.length;
    if (text[from] === '\r') from++;
    if (text[from] === '\n') from++;
    const end = text.indexOf('endstream', from);
    try {
      const data = pdf.subarray(from, end < 0 ? pdf.length : end);
      yield inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).toString('latin1');
    } catch {
      // Not Flate data after all (an encrypted file's streams are ciphertext): its pages stay unseen.
    }
  }
}

const OBJECT_STREAM = /\/Type\s*\/ObjStm(?=[\s()<>[\]{}/%]|$)/g;

/** A name ends at white space or a delimiter (PDF 32000-1, 7.2.2-7.2.3). */
const PAGE_OBJECT = /\/Type\s*\/Page(?=[\s()<>[\]{}/%]|$)/g;
