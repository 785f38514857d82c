/**
 * Decoding one JSONL line and reading token counts, with the skip codes every agent-log source reports. Shared by
 * the agent-log sources (claude-code, codex, gemini-cli), which must not import from one another (STYLE.md §1).
 */

import { parseTimestamp } from '../ledger/time.js';
import type { LineParser, ParseContext, Sink } from './source.js';

export const SKIP_CODES = {
  badJson: 'SRC_BAD_JSON',
  /** The file's last line did not parse: usually a log still being written, cut mid-line. */
  truncated: 'SRC_TRUNCATED',
  /** The line held bytes that were not UTF-8 (decoded as U+FFFD) where JSON syntax was required. */
  notUtf8: 'SRC_NOT_UTF8',
  badRecord: 'SRC_BAD_RECORD',
  /** A token count past 2^53 − 1: a JS number cannot hold it exactly, so the record is not guessed at. */
  numberTooLarge: 'SRC_NUMBER_TOO_LARGE',
} as const;

type SkipCode = (typeof SKIP_CODES)[keyof typeof SKIP_CODES];

export interface LineProblem {
  code: SkipCode;
  reason: string;
}

export type Decoded = { ok: true; value: unknown } | { ok: false; problem: LineProblem };

/**
 * Parses a line as JSON. The pipeline decodes bytes as UTF-8 with replacement, so invalid bytes arrive as U+FFFD:
 * inside a JSON string they are harmless text and the line parses; anywhere else the line fails and is reported
 * as SRC_NOT_UTF8 rather than SRC_BAD_JSON, so the user knows to look at the file's encoding.
 */
export function decodeJsonLine(text: string): Decoded {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    if (text.includes('\uFFFD')) {
      return {
        ok: false,
        problem: {
          code: SKIP_CODES.notUtf8,
          reason: `line is not valid UTF-8 JSON (${detail}); check the file's encoding`,
        },
      };
    }
    return { ok: false, problem: { code: SKIP_CODES.badJson, reason: `not valid JSON: ${detail}` } };
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Feeds a file's lines to `onValue` as parsed JSON. Blank lines are ignored. A line that does not parse is held
 * until the next line arrives: if none does, it was the file's last line and, when it had no newline
 * (`end(lastLineOpen)`), is reported as SRC_TRUNCATED (a log still being written, cut mid-line); else as
 * SRC_BAD_JSON / SRC_NOT_UTF8: a complete line that does not parse is a bad line, wherever it is. `onValue` may
 * return a problem to skip the line; if it throws, the line is skipped too, so one odd record never stops the file.
 */
export interface JsonLinesOptions {
  /**
   * Text every line that can hold a record contains (Claude Code: `"usage"`). Other lines are not parsed — most of
   * a log's bytes are prompts and tool output — only checked for the shape of one JSON object (`{…}`, no U+FFFD),
   * so a cut or garbled line is still reported; one broken inside its braces without that text goes unreported,
   * which is harmless: it could not have held a record.
   */
  mustContain?: string;
}

export function jsonLines(
  ctx: ParseContext,
  sink: Sink,
  onValue: (value: unknown, lineNo: number) => LineProblem | undefined,
  onEnd: () => void = () => {},
  o: JsonLinesOptions = {},
): LineParser {
  const must = o.mustContain;
  let pending: { lineNo: number; problem: LineProblem } | null = null;
  /** `cut`: the held line is the file's last and has no newline. */
  const flush = (cut: boolean) => {
    if (!pending) return;
    const { lineNo, problem } = pending;
    pending = null;
    const truncated = cut && problem.code === SKIP_CODES.badJson;
    sink.skip({
      ref: `${ctx.path}:${lineNo}`,
      code: truncated ? SKIP_CODES.truncated : problem.code,
      reason: truncated
        ? `last line is incomplete (${problem.reason}); the log may still be written`
        : problem.reason,
    });
  };
  return {
    line(text, lineNo) {
      if (text.trim() === '') return;
      flush(false);
      if (must !== undefined && !text.includes(must) && looksLikeObject(text)) return;
      const decoded = decodeJsonLine(text);
      if (!decoded.ok) {
        pending = { lineNo, problem: decoded.problem };
        return;
      }
      let problem: LineProblem | undefined;
      try {
        problem = onValue(decoded.value, lineNo);
      } catch (err) {
        problem = { code: SKIP_CODES.badRecord, reason: err instanceof Error ? err.message : String(err) };
      }
      if (problem) sink.skip({ ref: `${ctx.path}:${lineNo}`, code: problem.code, reason: problem.reason });
    },
    skipped() {
      flush(false);
    },
    end(lastLineOpen = true) {
      flush(lastLineOpen);
      onEnd();
    },
  };
}

function looksLikeObject(text: string): boolean {
  const t = text.trim();
  return t.charCodeAt(0) === 0x7b && t.charCodeAt(t.length - 1) === 0x7d && !t.includes('\uFFFD');
}

/**
 * A token count: a non-negative integer no larger than 2^53 − 1. Missing or null reads as `fallback` when one is
 * given (optional fields); anything else is a problem naming the field.
 */
export function tokenCount(v: unknown, field: string, fallback?: number): number | LineProblem {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number') {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${field}: expected a token count, got ${JSON.stringify(v)}`,
    };
  }
  if (v > Number.MAX_SAFE_INTEGER) {
    return {
      code: SKIP_CODES.numberTooLarge,
      reason: `${field}: ${v} is beyond 2^53 and cannot be counted exactly`,
    };
  }
  if (!Number.isInteger(v) || v < 0) {
    return { code: SKIP_CODES.badRecord, reason: `${field}: expected a non-negative integer, got ${v}` };
  }
  return v;
}

export function isProblem(v: unknown): v is LineProblem {
  return isObject(v) && typeof v.code === 'string' && typeof v.reason === 'string';
}

/** Non-empty string or null. */
export function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

/** An ISO-8601 timestamp as epoch microseconds, or a problem naming the field. */
export function timestampOf(v: unknown, field: string): number | LineProblem {
  if (typeof v !== 'string' && typeof v !== 'number') {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${field}: expected an ISO-8601 timestamp, got ${JSON.stringify(v)}`,
    };
  }
  try {
    return parseTimestamp(v);
  } catch (err) {
    return {
      code: SKIP_CODES.badRecord,
      reason: `${field}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
