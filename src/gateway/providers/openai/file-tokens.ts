import { PAGE_ESTIMATE, PAGE_TEXT_BOUND, pagesBound, pagesEstimate } from '../pdf-pages.js';
import { eachObject, obj } from '../provider.js';
import { openAiMaxImageTokens } from './image-tokens.js';

/*
 * OpenAI's file inputs (https://platform.openai.com/docs/guides/pdf-files): Chat Completions `file` parts (PDF only)
 * and Responses `input_file` items, as base64 `file_data`, a Files API `file_id` or (Responses) a `file_url`. Of a
 * PDF, "we put into the model's context both extracted text and an image of each page"; of other files (Responses:
 * .docx, .txt, code…) the text alone. The request's prompt text leaves a file out (its base64 is not text), so its
 * tokens are counted apart, as images are. OpenAI publishes no tokens per page: a page is priced as Anthropic's
 * (pdf-pages.ts), its image as the largest image the model bills.
 */

/** "You can upload up to 100 pages and 32MB of total content in a single request to the API, across multiple file inputs." */
const MAX_PAGES = 100;
/** Bytes of text per token, for the estimate of a file that is not a PDF (English prose with o200k: ~4). */
const BYTES_PER_TOKEN = 4;

/** A file of the request: its bytes, or null when the request names it (a file id, a URL) without holding them. */
type File = Buffer | null;

/**
 * The input tokens of the request's files, for budget admission's worst case. A PDF's pages (pagesBound) each at the
 * top of Anthropic's typical text range plus the largest image `model` bills, at most 100 pages a request; another
 * file at its size in bytes (byte-level BPE makes no more tokens than bytes), a zip-based one (.docx, .xlsx, .pptx)
 * at its entries' size unpacked, as its central directory gives them; a file by id or URL, whose type and size the
 * request does not hold, as a PDF of the most pages a request may hold.
 */
export function openAiFileTokens(json: Record<string, unknown>, model: string): number {
  let pages = 0;
  let text = 0;
  eachFile(json, (file) => {
    if (file === null) pages += MAX_PAGES;
    else if (isPdf(file)) pages += pagesBound(file);
    else text += unpackedBytes(file);
  });
  return Math.min(pages, MAX_PAGES) * (PAGE_TEXT_BOUND + openAiMaxImageTokens(model)) + text;
}

/**
 * The input tokens of the same files as an estimate, for a call recorded without the provider's usage: a PDF's pages
 * (pagesEstimate, a file by id or URL as a PDF) at Anthropic's measured ~2,334 tokens each, another file at a token
 * per 4 bytes of it (unpacked, for a zip-based one).
 */
export function openAiFileTokensEstimate(json: Record<string, unknown>): number {
  let pages = 0;
  let text = 0;
  eachFile(json, (file) => {
    if (file === null || isPdf(file)) pages += pagesEstimate(file);
    else text += unpackedBytes(file);
  });
  return Math.min(pages, MAX_PAGES) * PAGE_ESTIMATE + Math.ceil(text / BYTES_PER_TOKEN);
}

/**
 * Calls `visit` with each file of the request's messages (Chat Completions `{type: "file", file: {…}}`) and input
 * items (Responses `{type: "input_file", …}`, in function call outputs too). A file with none of `file_data`,
 * `file_id`, `file_url` is refused by the provider at no cost, and skipped.
 */
function eachFile(json: Record<string, unknown>, visit: (file: File) => void): void {
  eachObject([json.messages, json.input], (o) => {
    const f = o.type === 'file' ? obj(o.file) : o.type === 'input_file' ? o : undefined;
    if (f === undefined) return [o.content, o.output];
    if (f === null) return [];
    if (typeof f.file_data === 'string') visit(Buffer.from(base64Of(f.file_data), 'base64'));
    else if (typeof f.file_id === 'string' || typeof f.file_url === 'string') visit(null);
    return [];
  });
}

/** `data:application/pdf;base64,…` or the bare base64 some clients send. */
function base64Of(data: string): string {
  if (!data.startsWith('data:')) return data;
  const comma = data.indexOf(',');
  return comma < 0 ? '' : data.slice(comma + 1);
}

/** A PDF's header may follow up to 1024 bytes of other data (PDF 32000-1, annex H, 3.4.1). */
function isPdf(file: Buffer): boolean {
  return file.subarray(0, 1024).includes('%PDF-');
}

/**
 * The bytes of text a file can yield: a zip's entries unpacked (the sizes its central directory records; OpenAI
 * reads the text of an Office file out of them), else the file's own bytes.
 */
function unpackedBytes(file: Buffer): number {
  return zipUnpackedSize(file) ?? file.length;
}

const EOCD = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
/** The end of central directory record is 22 bytes, after which a comment of up to 65,535 bytes may follow. */
const EOCD_SEARCH = 22 + 0xffff;

/**
 * The sum of a zip's entries' uncompressed sizes from its central directory (APPNOTE.TXT 4.3.12, 4.3.16), or null
 * when `file` is not a zip whose directory can be read here: a Zip64 one (sizes past 4 GiB, far beyond any request)
 * is not.
 */
function zipUnpackedSize(file: Buffer): number | null {
  if (file.length < 22 || file.readUInt32LE(0) !== 0x04034b50) return null;
  let eocd = -1;
  for (let i = file.length - 22; i >= Math.max(0, file.length - EOCD_SEARCH); i--)
    if (file.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  if (eocd < 0) return null;
  const entries = file.readUInt16LE(eocd + 10);
  let at = file.readUInt32LE(eocd + 16);
  let size = 0;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > file.length || file.readUInt32LE(at) !== CENTRAL_HEADER) return null;
    const unpacked = file.readUInt32LE(at + 24);
    if (unpacked === 0xffffffff) return null;
    size += unpacked;
    at += 46 + file.readUInt16LE(at + 28) + file.readUInt16LE(at + 30) + file.readUInt16LE(at + 32);
  }
  return size;
}
