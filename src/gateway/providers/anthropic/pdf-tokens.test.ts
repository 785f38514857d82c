import { describe, expect, it } from 'vitest';
import { compressedPdf, sealedPdf, textPdf } from '../../../../test/helpers/pdf.js';
import { pdfPages } from '../pdf-pages.js';
import { anthropicPdfTokens, anthropicPdfTokensEstimate } from './pdf-tokens.js';

// https://platform.claude.com/docs/en/build-with-claude/pdf-support, "Estimate your costs".

const pages = (n: number): string[] => Array.from({ length: n }, (_, i) => `Page ${i + 1}`);

const document = (source: Record<string, unknown>) => ({ type: 'document', source });
const base64 = (pdf: Buffer) =>
  document({ type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') });
const request = (...content: unknown[]) => ({ messages: [{ role: 'user', content }] });

describe('the pages of a PDF', () => {
  it('are its page objects, not the node of its page tree', () => {
    expect(pdfPages(textPdf(pages(1)))).toBe(1);
    expect(pdfPages(textPdf(pages(3)))).toBe(3);
    // Written without spaces, as many writers do.
    expect(pdfPages(Buffer.from('<</Type/Pages/Count 1>> <</Type/Page/Parent 2 0 R>>', 'latin1'))).toBe(1);
  });

  it('are read in its compressed object streams too, as PDF 1.5 writers save them', () => {
    expect(pdfPages(compressedPdf(pages(3)))).toBe(3);
    expect(pdfPages(compressedPdf(pages(1)))).toBe(1);
  });

  it('are not known when its object streams cannot be inflated (an encrypted file)', () => {
    expect(pdfPages(sealedPdf(pages(3)))).toBeNull();
  });
});

describe("a request's PDFs", () => {
  it('cost each page at most the top of the typical text range and the largest image the model takes', () => {
    const json = request(base64(textPdf(pages(2))), { type: 'text', text: 'Summarise.' });
    expect(anthropicPdfTokens(json, 'claude-sonnet-4-5')).toBe(2 * (3_000 + 1_600));
    expect(anthropicPdfTokens(json, 'claude-opus-4-7')).toBe(2 * (3_000 + 5_000));
    // The estimate: Anthropic's ~7,000 tokens for a 3-page PDF, a page at a time.
    expect(anthropicPdfTokensEstimate(json)).toBe(2 * 2_334);
  });

  it('are counted in the content of a tool result too', () => {
    const json = request({ type: 'tool_result', tool_use_id: 't', content: [base64(textPdf(pages(3)))] });
    expect(anthropicPdfTokensEstimate(json)).toBe(3 * 2_334);
  });

  it('are counted when compressed in object streams, as in plain text', () => {
    const json = request(base64(compressedPdf(pages(2))));
    expect(anthropicPdfTokens(json, 'claude-sonnet-4-5')).toBe(2 * (3_000 + 1_600));
    expect(anthropicPdfTokensEstimate(json)).toBe(2 * 2_334);
  });

  it('are bounded, when unreadable, by their size, and never past the most pages a request may hold', () => {
    const pdf = sealedPdf(pages(2));
    expect(anthropicPdfTokens(request(base64(pdf)), 'claude-sonnet-4-5')).toBe(
      Math.ceil(pdf.length / 100) * 4_600,
    );
    // One typical page's size or less: one page.
    expect(anthropicPdfTokensEstimate(request(base64(pdf)))).toBe(2_334);
    const byUrl = document({ type: 'url', url: 'https://example.com/a.pdf' });
    expect(anthropicPdfTokens(request(byUrl, byUrl), 'claude-sonnet-4-5')).toBe(600 * 4_600);
    expect(anthropicPdfTokensEstimate(request(byUrl))).toBe(10 * 2_334);
  });

  it('leave out a plain-text document, whose text is the prompt text', () => {
    const json = request(document({ type: 'text', media_type: 'text/plain', data: 'Notes.' }));
    expect(anthropicPdfTokens(json, 'claude-sonnet-4-5')).toBe(0);
    expect(anthropicPdfTokensEstimate(json)).toBe(0);
  });
});
