import { resolve } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { type LedgerOptions, nowMicros, withStore } from './context.js';
import { parseRange } from './filters.js';

export interface ExportCliOptions extends LedgerOptions {
  format?: string;
  output?: string;
  since?: string;
  until?: string;
}

const FORMATS = ['jsonl', 'csv', 'parquet'] as const;

export async function exportCommand(o: ExportCliOptions, err: (s: string) => void): Promise<void> {
  const format = (o.format ?? 'jsonl') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--format ${JSON.stringify(o.format)}: use one of ${FORMATS.join(', ')}`,
    );
  }
  if (!o.output && format === 'parquet') {
    throw new TokenledgerError('CLI_BAD_OPTION', 'parquet is binary: give a file with --output FILE');
  }
  const path = o.output ? resolve(o.output) : '/dev/stdout';
  const range = parseRange(o, nowMicros());
  const { rows } = await withStore(o, (store) => store.export({ format, path, ...range }));
  err(`exported ${rows} events${o.output ? ` to ${o.output}` : ''}\n`);
}
