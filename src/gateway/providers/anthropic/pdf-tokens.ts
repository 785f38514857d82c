import { PAGE_ESTIMATE, PAGE_TEXT_BOUND, pagesBound, pagesEstimate } from '../pdf-pages.js';
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

/**
 * The input tokens of the request's PDFs, for budget admission's worst case: each page at the top of the typical
 * text range plus the largest image `model` takes. The pages of a base64 PDF are counted from its page objects, or,
 * where those cannot be read, bounded by its size; a PDF by URL or file id counts as the most pages a request may
 * hold, which also caps the request's total.
 */
export function anthropicPdfTokens(json: Record<string, unknown>, model: string): number {
  let pages = 0;
  eachPdf(json, (pdf) => {
    pages += pdf === null ? MAX_PAGES : pagesBound(pdf);
  });
  return Math.min(pages, MAX_PAGES) * (PAGE_TEXT_BOUND + maxImageTokens(model));
}

/**
 * The input tokens of the same PDFs as an estimate, for a call recorded without the provider's usage: each page at
 * Anthropic's measured ~2,334 tokens, its pages as pagesEstimate takes them.
 */
export function anthropicPdfTokensEstimate(json: Record<string, unknown>): number {
  let pages = 0;
  eachPdf(json, (pdf) => {
    pages += pagesEstimate(pdf);
  });
  return Math.min(pages, MAX_PAGES) * PAGE_ESTIMATE;
}

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
