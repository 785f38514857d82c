import type { UnpricedEvent } from '../ledger/event.js';
import type { ActivityRecord, ProviderCostRecord } from './provider-records.js';

/** A record a source could not use: reported with its place and reason, counted, and skipped. */
export interface Skip {
  /** `path:line` (1-based line), or another locator the source understands. */
  ref: string;
  /** Stable reason code, e.g. SRC_BAD_JSON, SRC_BAD_RECORD; summaries count skips by it. */
  code: string;
  reason: string;
}

/** Where a parser sends what it finds. The import pipeline prices, batches and stores the events. */
export interface Sink {
  event(e: UnpricedEvent): void;
  skip(s: Skip): void;
  /** Provider-reported costs (OpenAI costs, Anthropic cost_report pages); a sink without it drops them. */
  cost?(r: ProviderCostRecord): void;
  /** Per-person per-day activity (Claude Code analytics), kept apart from usage for the ROI work. */
  activity?(r: ActivityRecord): void;
}

/**
 * A streaming parser for one file. The pipeline feeds it lines in order (without the newline) and then calls
 * `end()`, after which a parser that had to wait for later lines (e.g. to keep the last of several lines of one
 * response) emits what it held. Parsers are pure: no disk, no network, no clock — `ingested_at` comes in `ctx`.
 */
export interface LineParser {
  line(text: string, lineNo: number): void;
  /**
   * Optional fast path: the line `bytes[start, end)` (valid UTF-8, without its newline), read from its bytes.
   * Returns false when it did nothing with the line, which must then be given to `line` as text.
   */
  bytes?(bytes: Buffer, start: number, end: number, lineNo: number): boolean;
  /**
   * A line the reader did not decode because it cannot hold a record (read-lines.ts `skipUnless`). It is still a
   * line: a problem held on the line before it was not the file's last line.
   */
  skipped?(lineNo: number): void;
  /**
   * No more lines. `lastLineOpen`: the file's last line had no newline, so a writer may be in the middle of it;
   * false when the file ended with one (its last line is complete). Unknown to a caller that fed the lines from
   * elsewhere, and then read as open.
   */
  end(lastLineOpen?: boolean): void;
}

export interface ParseContext {
  /** The file's path as shown in messages and `source_ref`. */
  path: string;
  /** Epoch microseconds stamped on every event as `ingested_at`. */
  ingestedAt: number;
  /** Attribution the user gave on the command line (e.g. `--user`), applied where the record has none. */
  defaults?: { user?: string | null; team?: string | null; project?: string | null; org?: string | null };
  /**
   * When the file was last written (its mtime, epoch microseconds), when read from a file: a provider export's
   * bucket that had not ended by then was still growing (provider-records.ts, openBucket).
   */
  savedAt?: number;
}

export interface LineSource {
  /** Value of `source` on every event (`jsonl`, `claude-code`, …). */
  readonly id: string;
  open(ctx: ParseContext, sink: Sink): LineParser;
  /**
   * Whether the tool writes this file a line at a time while it runs, even if a changed one is read whole. Its
   * unterminated last line is then held back while the file is fresh, not reported as SRC_TRUNCATED (read-file.ts).
   */
  appendsLines?(path: string): boolean;
}
