import { constants, inflateSync } from 'node:zlib';
import { eachObject, obj } from '../provider.js';
import { maxImageTokens } from './image-tokens.js';

/*
 * Anthropic bills a PDF (a `document` block of a base64, URL or Files API source) page by page
 * (https://platform.claude.com/docs/en/build-with-claude/pdf-support, "Estimate your costs"): each page's extracted
 * text, "typically 1,500-3,000 tokens per page depending on content density", and an image of the page, billed as
 * an image is (image-tokens.ts). The request's prompt text leaves the PDF out (its base64 is not text), so its pages
 * are counted apart, as images are. No rule in the request gives the text of a page: these are estimates.
 */

/** The most pages a request may hold ("Maximum pages per request: 600 (100 for models with a 200k-token context window)"). */
const MAX_PAGES = 600;
/** A page's text at the top of Anthropic's typical range, for admission's worst case. */
const PAGE_TEXT_BOUND = 3_000;
/**
 * A page's text and image as Anthropic measured them: "approximately 7,000 tokens for a 3-page PDF" (the PDF support
 * page above, of Amazon Bedrock's mode that "processes each page as both text and image").
 */
const PAGE_ESTIMATE = 2_334;
/**
 * The fewest bytes a page takes, for a PDF whose page objects cannot be read (encrypted, or compressed with a filter
 * other than Flate): its page object and content stream, ~130 bytes for a page of one line (test/helpers/pdf.ts).
 */
const MIN_PAGE_BYTES = 100;
/** The bytes of a typical page of such a PDF (text, its share of the fonts, some graphics): a rough figure. */
const TYPICAL_PAGE_BYTES = 50_000;
/** The pages of a PDF by URL or file id, whose bytes the request does not hold, for an estimate: a guess. */
const UNSEEN_PAGES = 10;

/**
 * The input tokens of the request's PDFs, for budget admission's worst case: each page at the top of the typical
 * text range plus the largest image `model` takes. The pages of a base64 PDF are counted from its page objects, or,
 * where those cannot be read, bounded by its size; a PDF by URL or file id counts as the most pages a request may
 * hold, which also caps the request's total.
 */
export function anthropicPdfTokens(json: Record<string, unknown>, model: string): number {
  let pages = 0;
  eachPdf(json, (pdf) => {
    pages += pdf === null ? MAX_PAGES : (pdfPages(pdf) ?? Math.ceil(pdf.length / MIN_PAGE_BYTES));
  });
  return Math.min(pages, MAX_PAGES) * (PAGE_TEXT_BOUND + maxImageTokens(model));
}

/**
 * The input tokens of the same PDFs as an estimate, for a call recorded without the provider's usage: each page at
 * Anthropic's measured ~2,334 tokens. A PDF whose page objects cannot be read is taken at a typical page size, one
 * by URL or file id at a guess of UNSEEN_PAGES pages.
 */
export function anthropicPdfTokensEstimate(json: Record<string, unknown>): number {
  let pages = 0;
  eachPdf(json, (pdf) => {
    pages += pdf === null ? UNSEEN_PAGES : (pdfPages(pdf) ?? Math.ceil(pdf.length / TYPICAL_PAGE_BYTES));
  });
  return Math.min(pages, MAX_PAGES) * PAGE_ESTIMATE;
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

/**
 * Calls `visit` with the bytes of each base64 PDF in the request's messages (and in tool results' content), or null
 * for a PDF by URL or Files API id.
 */
function eachPdf(json: Record<string, unknown>, visit: (pdf: Buffer | null) => void): void {
  eachObject([json.messages], (o) => {
    if (o.type !== 'document') return [o.content];
    const source = obj(o.source);
    if (source?.type === 'base64' && typeof source.data === 'string')
      visit(Buffer.from(source.data, 'base64'));
    else if (source?.type === 'url' || source?.type === 'file') visit(null);
    return [];
  });
}
