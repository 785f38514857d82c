/**
 * Whole JSON documents from a stream of lines. Provider exports are saved API pages: one pretty-printed page per
 * file, several pages one after another, or JSONL with one page per line. Brackets are counted outside strings so a
 * document is parsed as soon as it closes, whatever its layout; only the open document is held in memory.
 *
 * Documents saved back to back on one line (`}{`, as `curl … >> file` appends pages) are read one by one.
 *
 * Once a file has shown itself to be JSONL (its first document opened and closed on one line), every line stands
 * alone: a truncated line is reported and the next line still parses, instead of the open bracket swallowing the
 * rest of the file.
 */
import type { LineParser, Sink } from './source.js';

const DOC_SKIP = {
  badJson: 'SRC_BAD_JSON',
  truncated: 'SRC_TRUNCATED',
} as const;

/**
 * `file:line` of the value at a JSON path of the document (`data[0].results[3].model`), or of the nearest enclosing
 * value found; `''` is where the document starts. A pretty-printed page spans hundreds of lines, and an error is
 * only useful at the line of the record it is about.
 */
export type Locate = (path: string) => string;

export type OnDocument = (value: unknown, at: Locate) => void;

export function createDocumentReader(
  path: string,
  sink: Pick<Sink, 'skip'>,
  onDocument: OnDocument,
): LineParser {
  let mode: 'unknown' | 'jsonl' | 'document' = 'unknown';
  let buf: string[] = [];
  let startLine = 0;
  let depth = 0;
  let opened = false;
  let inString = false;
  let escaped = false;

  const reset = () => {
    buf = [];
    depth = 0;
    opened = false;
    inString = false;
    escaped = false;
  };

  const finish = (lastLine: number) => {
    const text = buf.join('\n');
    const first = startLine;
    reset();
    if (mode === 'unknown') mode = lastLine === first ? 'jsonl' : 'document';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      sink.skip({
        ref: `${path}:${first + lineOfError(text, message)}`,
        code: DOC_SKIP.badJson,
        reason: `malformed JSON (${syntaxMessage(message)}); fix the file or export the page again`,
      });
      return;
    }
    onDocument(value, locator(path, text, first));
  };

  /**
   * Counts brackets on one line: the index just past the bracket that closed the open document (documents may follow
   * on the same line), the line's length when it went below zero or opened nothing (a bare value or junk is a
   * document of its own, for JSON.parse to judge), or -1 when the document is still open at the end of the line.
   */
  const scan = (text: string): number => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) {
        depth++;
        opened = true;
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0 && opened) return i + 1;
        if (depth < 0) return text.length;
      }
    }
    return opened ? -1 : text.length;
  };

  return {
    line(raw, lineNo) {
      let text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      // Pages saved back to back (`curl … >> file`: API responses end without a newline) share a line: `}{`.
      for (;;) {
        if (buf.length === 0) {
          if (text.trim() === '') return;
          startLine = lineNo;
        }
        const end = scan(text);
        if (end < 0) {
          buf.push(text);
          if (mode === 'jsonl') {
            const first = startLine;
            reset();
            sink.skip({
              ref: `${path}:${first}`,
              code: DOC_SKIP.truncated,
              reason: 'line ends before its JSON page closes (truncated write?); export the page again',
            });
          }
          return;
        }
        buf.push(text.slice(0, end));
        finish(lineNo);
        text = text.slice(end);
      }
    },
    end() {
      if (buf.length === 0) return;
      const first = startLine;
      reset();
      sink.skip({
        ref: `${path}:${first}`,
        code: DOC_SKIP.truncated,
        reason:
          'the JSON document starting here ends before its closing bracket (file truncated?); export it again',
      });
    },
  };
}

/** Lines are found only when asked (an error): the index costs a scan of the document, once. */
function locator(file: string, text: string, firstLine: number): Locate {
  let lines: Map<string, number> | null = null;
  return (path) => {
    if (path === '') return `${file}:${firstLine}`;
    lines ??= valueLines(text);
    for (let p = path; p !== ''; p = parentPath(p)) {
      const line = lines.get(p);
      if (line !== undefined) return `${file}:${firstLine + line}`;
    }
    return `${file}:${firstLine}`;
  };
}

/** `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ''. */
function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

/**
 * The line (0-based, within the document) where each value starts, by JSON path in the form json-fields.ts writes
 * (`data[0].results[1].model`). The text is valid JSON (JSON.parse took it), so a tokenizer without checks will do.
 */
function valueLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  /** Per open container: its path, and for arrays the index of the next element (-1 for objects). */
  const paths: string[] = [];
  const next: number[] = [];
  let key: string | null = null;
  let line = 0;
  const valuePath = (): string => {
    const top = paths.length - 1;
    if (top < 0) return '';
    const base = paths[top]!;
    if (next[top]! >= 0) return `${base}[${next[top]!}]`;
    return base === '' ? key! : `${base}.${key!}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) line++;
    else if (c === 0x22) {
      // A string: an object's key when the container is an object and no key is pending, else a value.
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      const inObject = paths.length > 0 && next[paths.length - 1]! < 0;
      if (inObject && key === null) {
        const raw = text.slice(start, i + 1);
        key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      } else {
        out.set(valuePath(), line);
        key = null;
      }
    } else if (c === 0x7b || c === 0x5b) {
      const p = valuePath();
      out.set(p, line);
      key = null;
      paths.push(p);
      next.push(c === 0x5b ? 0 : -1);
    } else if (c === 0x7d || c === 0x5d) {
      paths.pop();
      next.pop();
    } else if (c === 0x2c) {
      const top = next.length - 1;
      if (top >= 0 && next[top]! >= 0) next[top]!++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      // A number, true, false or null: record it and skip to its end.
      out.set(valuePath(), line);
      key = null;
      while (i + 1 < text.length && !/[\s,\]}]/.test(text[i + 1]!)) i++;
    }
  }
  return out;
}

/**
 * Line offset of a JSON syntax error inside a document. V8 gives "at position N" for most errors but only a snippet
 * for a bad token; then the shortest prefix of whole lines that is already invalid (not merely unfinished) is found
 * by bisection, a few parses of a document that is small anyway.
 */
function lineOfError(text: string, message: string): number {
  const m = /position (\d+)/.exec(message);
  if (m) return countNewlines(text, Math.min(Number(m[1]), text.length));
  const ends: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) ends.push(i);
  ends.push(text.length);
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (invalidPrefix(text.slice(0, ends[mid]))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function invalidPrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (e) {
    const message = e instanceof Error ? e.message : '';
    if (/Unexpected end of JSON input|Unterminated string/.test(message)) return false;
    const m = /position (\d+)/.exec(message);
    return !m || Number(m[1]) < prefix.trimEnd().length;
  }
}

function countNewlines(text: string, before: number): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < before; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** V8 quotes a snippet of the document after the first comma; the snippet may hold personal data, so it goes. */
function syntaxMessage(message: string): string {
  const cut = message.indexOf(', "');
  return (cut > 0 ? message.slice(0, cut) : message).slice(0, 120);
}
