import { describe, expect, it } from 'vitest';
import { compressedPdf, sealedPdf, textPdf } from '../../../../test/helpers/pdf.js';
import { zip } from '../../../../test/helpers/zip.js';
import { openAiFileTokens, openAiFileTokensEstimate } from './file-tokens.js';
import { openAiMaxImageTokens } from './image-tokens.js';

// https://platform.openai.com/docs/guides/pdf-files: a PDF puts "both extracted text and an image of each page" into
// the model's context; "up to 100 pages and 32MB of total content in a single request".

const pages = (n: number): string[] => Array.from({ length: n }, (_, i) => `Page ${i + 1}`);
const dataUrl = (file: Buffer, type = 'application/pdf') => `data:${type};base64,${file.toString('base64')}`;

/** Chat Completions: a `file` content part. */
const chat = (...files: Record<string, unknown>[]) => ({
  messages: [
    {
      role: 'user',
      content: [...files.map((file) => ({ type: 'file', file })), { type: 'text', text: 'Summarise.' }],
    },
  ],
});
/** Responses: `input_file` items. */
const responses = (...files: Record<string, unknown>[]) => ({
  input: [
    {
      role: 'user',
      content: [
        ...files.map((f) => ({ type: 'input_file', ...f })),
        { type: 'input_text', text: 'Summarise.' },
      ],
    },
  ],
});

describe("an OpenAI request's PDFs", () => {
  it('cost each page at most the top of the typical text range and the largest image the model bills', () => {
    const pdf = { filename: 'a.pdf', file_data: dataUrl(textPdf(pages(2))) };
    // gpt-4o: 85 + 8 tiles of 170 for an image of any size; gpt-5-mini: 1536 patches × 1.62.
    expect(openAiMaxImageTokens('gpt-4o')).toBe(85 + 8 * 170);
    expect(openAiMaxImageTokens('gpt-5-mini')).toBe(Math.ceil(1536 * 1.62));
    for (const json of [chat(pdf), responses(pdf)]) {
      expect(openAiFileTokens(json, 'gpt-4o')).toBe(2 * (3_000 + 1_445));
      expect(openAiFileTokens(json, 'gpt-5-mini-2025-08-07')).toBe(2 * (3_000 + 2_489));
      expect(openAiFileTokensEstimate(json)).toBe(2 * 2_334);
    }
  });

  it('are read from bare base64 too, in a compressed object stream, and in a function call output', () => {
    expect(openAiFileTokens(chat({ file_data: compressedPdf(pages(3)).toString('base64') }), 'gpt-4o')).toBe(
      3 * 4_445,
    );
    const output = {
      input: [
        {
          type: 'function_call_output',
          call_id: 'c1',
          output: [{ type: 'input_file', file_data: dataUrl(textPdf(pages(1))) }],
        },
      ],
    };
    expect(openAiFileTokensEstimate(output)).toBe(2_334);
  });

  it('are bounded, when unreadable, by their size; by id or URL, as the most pages a request may hold', () => {
    const sealed = sealedPdf(pages(1));
    expect(openAiFileTokens(chat({ file_data: dataUrl(sealed) }), 'gpt-4o')).toBe(
      Math.ceil(sealed.length / 100) * 4_445,
    );
    expect(openAiFileTokens(chat({ file_id: 'file-6F2ksmvXxt4VdoqmHRw6kL' }), 'gpt-4o')).toBe(100 * 4_445);
    expect(openAiFileTokens(responses({ file_url: 'https://example.com/a.pdf' }), 'gpt-4o')).toBe(
      100 * 4_445,
    );
    // Across files, never more than 100 pages: OpenAI refuses a request past them.
    expect(
      openAiFileTokens(chat({ file_id: 'file-a' }, { file_data: dataUrl(textPdf(pages(5))) }), 'gpt-4o'),
    ).toBe(100 * 4_445);
    // The estimate guesses 10 pages for a file it cannot see.
    expect(openAiFileTokensEstimate(chat({ file_id: 'file-a' }))).toBe(10 * 2_334);
  });
});

describe("an OpenAI request's other files (Responses: text extracted only)", () => {
  it('cost at most a token a byte, unpacked for a zip-based Office file, and a token per 4 bytes as an estimate', () => {
    const txt = Buffer.from('hello world\n'.repeat(50));
    expect(openAiFileTokens(responses({ file_data: dataUrl(txt, 'text/plain') }), 'gpt-4o')).toBe(txt.length);
    expect(openAiFileTokensEstimate(responses({ file_data: dataUrl(txt, 'text/plain') }))).toBe(
      Math.ceil(txt.length / 4),
    );
    // Text packs small: the entries' unpacked sizes bound it, not the zip's bytes.
    const xml = '<w:p><w:r><w:t>The quarterly numbers.</w:t></w:r></w:p>'.repeat(200);
    const docx = zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': xml });
    expect(docx.length).toBeLessThan(xml.length / 10);
    expect(openAiFileTokens(responses({ filename: 'q.docx', file_data: dataUrl(docx) }), 'gpt-4o')).toBe(
      '<Types/>'.length + xml.length,
    );
  });

  it('count nothing for a part with no file in it (the provider refuses it at no cost)', () => {
    expect(openAiFileTokens(chat({ filename: 'a.pdf' }), 'gpt-4o')).toBe(0);
    expect(openAiFileTokens({ messages: [{ role: 'user', content: 'hi' }] }, 'gpt-4o')).toBe(0);
  });
});
