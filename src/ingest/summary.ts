import type { Skip } from '../sources/source.js';

/** Counts of one kind of side record (provider costs, activity). */
export interface RecordCounts {
  read: number;
  imported: number;
  duplicates: number;
}

export interface ImportSummary {
  /** Files considered (read or found unchanged). */
  files: number;
  /** Files not opened because nothing changed since the last import. */
  unchangedFiles: number;
  /** Files read on from where the last import stopped rather than from the start. */
  resumedFiles: number;
  /** Files whose last response (or unterminated last line) was held back as still being written. */
  heldBackFiles: number;
  /** Bytes read. */
  bytes: number;
  lines: number;
  /** Events the input described. */
  events: number;
  imported: number;
  duplicates: number;
  /** Events before the ledger's raw horizon, left out (Store.retireRaw: their days are kept only as sums). */
  retired: number;
  skipped: number;
  skippedByCode: Record<string, number>;
  /** The first few skips, with file:line and reason, for the user to look at. */
  firstSkips: Skip[];
  unpriced: { events: number; tokens: number };
  costs: RecordCounts;
  activity: RecordCounts;
}

export const FIRST_SKIPS = 10;

export function emptySummary(): ImportSummary {
  return {
    files: 0,
    unchangedFiles: 0,
    resumedFiles: 0,
    heldBackFiles: 0,
    bytes: 0,
    lines: 0,
    events: 0,
    imported: 0,
    duplicates: 0,
    retired: 0,
    skipped: 0,
    skippedByCode: {},
    firstSkips: [],
    unpriced: { events: 0, tokens: 0 },
    costs: { read: 0, imported: 0, duplicates: 0 },
    activity: { read: 0, imported: 0, duplicates: 0 },
  };
}

export function recordSkip(summary: ImportSummary, s: Skip): void {
  summary.skipped++;
  summary.skippedByCode[s.code] = (summary.skippedByCode[s.code] ?? 0) + 1;
  if (summary.firstSkips.length < FIRST_SKIPS) summary.firstSkips.push(s);
}

/** Sums summaries of several imports (`import auto`). */
export function addSummary(into: ImportSummary, s: ImportSummary): void {
  for (const k of [
    'files',
    'unchangedFiles',
    'resumedFiles',
    'heldBackFiles',
    'bytes',
    'lines',
    'events',
    'imported',
    'duplicates',
    'retired',
    'skipped',
  ] as const)
    into[k] += s[k];
  for (const [code, n] of Object.entries(s.skippedByCode))
    into.skippedByCode[code] = (into.skippedByCode[code] ?? 0) + n;
  for (const k of s.firstSkips) if (into.firstSkips.length < FIRST_SKIPS) into.firstSkips.push(k);
  into.unpriced.events += s.unpriced.events;
  into.unpriced.tokens += s.unpriced.tokens;
  for (const side of ['costs', 'activity'] as const)
    for (const k of ['read', 'imported', 'duplicates'] as const) into[side][k] += s[side][k];
}
