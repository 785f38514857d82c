import type { ImportSummary, RecordCounts } from '../ingest/summary.js';
import { counted, groupDigits } from './group-digits.js';

/** The summary printed after every import: what was read, stored, skipped (with the first few places), unpriced. */
export function formatSummary(s: ImportSummary, seconds: number, fromFiles = s.files > 0): string {
  const files = fromFiles ? counted(s.files, 'file') : null;
  const from =
    files === null
      ? `${groupDigits(s.events)} generated`
      : `${files} (${counted(s.lines, 'line')}, ${counted(s.events, 'event')} read)`;
  const lines = [
    `imported ${counted(s.imported, 'event')} from ${from} in ${seconds.toFixed(2)} s`,
    ...(s.unchangedFiles || s.resumedFiles
      ? [
          `  incremental: ${groupDigits(s.unchangedFiles)} unchanged (not read), ${groupDigits(s.resumedFiles)} read on from the last import`,
        ]
      : []),
    ...(s.heldBackFiles
      ? [
          `  held back: the last response of ${groupDigits(s.heldBackFiles)} file${s.heldBackFiles === 1 ? '' : 's'} still being written; the next import reads it`,
        ]
      : []),
    `  duplicates (already in the ledger): ${groupDigits(s.duplicates)}`,
    ...(s.retired
      ? [`  before the ledger's raw horizon (kept only as daily sums, not added): ${groupDigits(s.retired)}`]
      : []),
    `  skipped: ${groupDigits(s.skipped)}${
      s.skipped
        ? ` (${Object.entries(s.skippedByCode)
            .map(([c, n]) => `${c} ${groupDigits(n)}`)
            .join(', ')})`
        : ''
    }`,
    ...s.firstSkips.map((k) => `    ${k.ref}  ${k.code}  ${k.reason}`),
    ...(s.skipped > s.firstSkips.length
      ? [`    … and ${groupDigits(s.skipped - s.firstSkips.length)} more`]
      : []),
    `  unpriced: ${counted(s.unpriced.events, 'event')}, ${counted(s.unpriced.tokens, 'token')}`,
    ...side('provider costs', s.costs),
    ...side('activity records', s.activity),
  ];
  return `${lines.join('\n')}\n`;
}

function side(label: string, c: RecordCounts): string[] {
  if (c.read === 0) return [];
  return [
    `  ${label}: ${groupDigits(c.imported)} imported, ${groupDigits(c.duplicates)} duplicates (${groupDigits(c.read)} read)`,
  ];
}
