import { existsSync, statSync } from 'node:fs';
import { TokenledgerError } from '../errors.js';
import { type ImportSummary, importFiles } from '../ingest/import-files.js';
import { csvSource } from '../sources/csv/parse.js';
import { jsonlSource } from '../sources/jsonl/parse.js';
import type { LineSource } from '../sources/source.js';
import { type LedgerOptions, nowMicros, withStore } from './context.js';
import { loadCliPricer } from './pricer.js';
import { progress } from './progress.js';

export interface ImportOptions extends LedgerOptions {
  user?: string;
  team?: string;
  project?: string;
}

const FILE_SOURCES: Record<string, LineSource> = { jsonl: jsonlSource, csv: csvSource };

export async function importCommand(
  kind: string,
  paths: string[],
  o: ImportOptions,
  out: (s: string) => void,
): Promise<ImportSummary> {
  const source = FILE_SOURCES[kind];
  if (!source) {
    throw new TokenledgerError(
      'CLI_UNKNOWN_SOURCE',
      `unknown source "${kind}": use one of ${Object.keys(FILE_SOURCES).join(', ')}`,
    );
  }
  if (paths.length === 0) throw new TokenledgerError('CLI_NO_FILE', `import ${kind} needs at least one FILE`);
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isFile())
      throw new TokenledgerError('CLI_NO_FILE', `${p}: no such file`);
  }
  const pricer = await loadCliPricer(o);
  const started = performance.now();
  const bar = progress(`import ${kind}`, 'bytes');
  const summary = await withStore(o, (store) =>
    importFiles(source, paths, {
      store,
      price: (e) => pricer.price(e),
      ingestedAt: nowMicros(),
      defaults: { user: o.user ?? null, team: o.team ?? null, project: o.project ?? null },
      onProgress: (done, total) => bar.update(done, total),
    }),
  ).finally(() => bar.stop());
  out(formatSummary(summary, (performance.now() - started) / 1000));
  return summary;
}

const int = new Intl.NumberFormat('en-US');

export function formatSummary(s: ImportSummary, seconds: number): string {
  const from =
    s.files === 0
      ? `${int.format(s.events)} generated`
      : `${int.format(s.files)} file${s.files === 1 ? '' : 's'} (${int.format(s.lines)} lines, ${int.format(s.events)} events read)`;
  const lines = [
    `imported ${int.format(s.imported)} events from ${from} in ${seconds.toFixed(1)} s`,
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
  ];
  return `${lines.join('\n')}\n`;
}
