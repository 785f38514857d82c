/**
 * How much of a file an import reads, from what the last import of it left (store/import-records.ts FileState).
 * Pure: the shell stats the file and verifies the check hash.
 */
import type { FileState } from '../store/import-records.js';

/**
 * - `always`: no state; every import reads the whole file and the store drops what it holds (canonical jsonl/csv,
 *   where re-importing an edited file should show its duplicates).
 * - `whole-file`: an unchanged file (size and mtime) is not opened; a changed one is read whole, because its
 *   records are rewritten in place (Gemini's messages, JSON documents such as provider exports).
 * - `append`: the file only grows; a grown file is read from where the last import stopped, with the parser's
 *   saved context (Claude Code, Codex).
 */
export type ResumeMode = 'always' | 'whole-file' | 'append';

/**
 * A file modified this recently may be mid-write: its trailing response (and an unterminated last line) is held
 * back until it settles. Claude Code writes a response's lines within seconds; five minutes leaves a wide margin
 * and still imports a finished session on the next run.
 */
export const SETTLE_MS = 5 * 60_000;

export interface FileFacts {
  size: number;
  mtimeMs: number;
}

export type FilePlan =
  | { read: false }
  | {
      read: true;
      offset: number;
      lineNo: number;
      /** Hold back what may still change (append mode, recently modified file). */
      holdTail: boolean;
      /** Hash the bytes before `offset` must still have; null when starting at 0. */
      check: string | null;
      /** The parser's state at `offset` (null when starting at 0). */
      parserState: string | null;
      /** When the file was last written (epoch ms): what an export saved then could hold (ParseContext.savedAt). */
      mtimeMs: number;
      /** The file's size when planned, which `holdTail` was judged with (read-file.ts reads no further). */
      size: number;
    };

const FROM_START = (holdTail: boolean, facts: FileFacts): FilePlan => ({
  read: true,
  offset: 0,
  lineNo: 1,
  holdTail,
  check: null,
  parserState: null,
  mtimeMs: facts.mtimeMs,
  size: facts.size,
});

export function planFile(
  mode: ResumeMode,
  facts: FileFacts,
  state: FileState | undefined,
  nowMs: number,
): FilePlan {
  // Whole files may be appended to as well (Gemini CLI's .jsonl sessions): read-file.ts asks the source.
  const holdTail = mode !== 'always' && nowMs - facts.mtimeMs < SETTLE_MS;
  if (mode === 'always' || state === undefined) return FROM_START(holdTail, facts);
  const unchanged = facts.size === state.size && facts.mtimeMs === state.mtimeMs;
  // A held-back tail of an unchanged file is read again once the file has settled, to emit it.
  if (unchanged && (!state.heldBack || holdTail)) return { read: false };
  if (mode === 'whole-file') return FROM_START(holdTail, facts);
  if (facts.size < state.offset) return FROM_START(holdTail, facts);
  return {
    read: true,
    offset: state.offset,
    lineNo: state.lineNo,
    holdTail,
    check: state.check,
    parserState: state.offset > 0 ? state.parserState : null,
    mtimeMs: facts.mtimeMs,
    size: facts.size,
  };
}
