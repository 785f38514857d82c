/**
 * Sources whose logs grow by appending (agent logs) and can be read on from where the last import stopped. Most
 * lines are final once written; the exception is a record later lines may still change — Claude Code writes one
 * line per content block of a response, and the last line carries the final output count. A resumable parser can
 * keep such a trailing record back and name the line a later import must start from, so the record is read again
 * whole instead of being stored early with a placeholder count (an event id is stored once, so an early, smaller
 * version would win for good). A parser whose lines depend on earlier ones (Codex: the model of the last
 * turn_context, the previous cumulative totals) hands that context over as `state()`.
 */
import type { LineParser, LineSource, ParseContext, Sink } from './source.js';

export interface ResumeOptions {
  /** Keep back the trailing record if later lines could still change it (the file is still being written). */
  holdTail: boolean;
  /**
   * What the parser had learnt from the lines before the resume point (`state()` of the previous import), when
   * reading on from the middle of a file: e.g. Codex's session, model and cumulative totals.
   */
  state?: string | null;
}

export interface ResumableParser extends LineParser {
  /**
   * After `end()`: the first line a later import must read again (every record before it is final and was
   * emitted), or null when every line read so far is final. With `holdTail`, the records from that line on were
   * not emitted.
   */
  resumeLine(): number | null;
  /** After `end()`: what a later import reading on from `resumeLine()` (or the end) needs to know, as JSON text. */
  state?(): string | null;
}

export interface ResumableSource extends LineSource {
  openResumable(ctx: ParseContext, sink: Sink, o: ResumeOptions): ResumableParser;
}

export function isResumable(s: LineSource): s is ResumableSource {
  return typeof (s as Partial<ResumableSource>).openResumable === 'function';
}
