import type { ImportSummary, RecordCounts } from '../ingest/summary.js';

const int = new Intl.NumberFormat('en-US');

/** The summary printed after every import: what was read, stored, skipped (with the first few places), unpriced. */
export function formatSummary(s: ImportSummary, seconds: number, fromFiles = s.files > 0): string {
  const files = fromFiles ? filesLine(s) : null;
  const from =
    files === null
      ? `${int.format(s.events)} generated`
      : `${files} (${int.format(s.lines)} lines, ${int.format(s.events)} events read)`;
  const lines = [
    `imported ${int.format(s.imported)} events from ${from} in ${seconds.toFixed(2)} s`,
    ...(s.unchangedFiles || s.resumedFiles
      ? [
          `  incremental: ${int.format(s.unchangedFiles)} unchanged (not read), ${int.format(s.resumedFiles)} read on from the last import`,
        ]
      : []),
    ...(s.heldBackFiles
      ? [
          `  held back: the last response of ${int.format(s.heldBackFiles)} file${s.heldBackFiles === 1 ? '' : 's'} still being written; the next import reads it`,
        ]
      : []),
    `  duplicates (already in the ledger): ${int.format(s.duplicates)}`,
    `  skipped: ${int.format(s.skipped)}${
      s.skipped
        ? ` (${Object.entries(s.skippedByCode)
            .map(([c, n]) => `${c} ${int.format(n)}`)
            .join(', ')})`
        : ''
    }`,
    ...s.firstSkips.map((k) => `    ${k.ref}  ${k.code}  ${k.reason}`),
    ...(s.skipped > s.firstSkips.length
      ? [`    … and ${int.format(s.skipped - s.firstSkips.length)} more`]
      : []),
    `  unpriced: ${int.format(s.unpriced.events)} events, ${int.format(s.unpriced.tokens)} tokens`,
    ...side('provider costs', s.costs),
    ...side('activity records', s.activity),
  ];
  return `${lines.join('\n')}\n`;
}

function filesLine(s: ImportSummary): string {
  return `${int.format(s.files)} file${s.files === 1 ? '' : 's'}`;
}

function side(label: string, c: RecordCounts): string[] {
  if (c.read === 0) return [];
  return [
    `  ${label}: ${int.format(c.imported)} imported, ${int.format(c.duplicates)} duplicates (${int.format(c.read)} read)`,
  ];
}
