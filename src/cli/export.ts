import { createReadStream, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TokenledgerError } from '../errors.js';
import { focusMetadata, metadataPathOf } from '../store/focus/metadata.js';
import { EXPORT_FORMATS, type ExportOptions, type ExportResult } from '../store/store.js';
import { TOKENLEDGER_VERSION } from '../version.js';
import { type LedgerOptions, ledgerMustExist, ledgerPath, nowMicros, withStore } from './context.js';
import { parseRange, type RangeOptions } from './filters.js';
import { counted } from './group-digits.js';

export interface ExportCliOptions extends LedgerOptions, RangeOptions {
  format?: string;
  output?: string;
}

export async function exportCommand(o: ExportCliOptions, err: (s: string) => void): Promise<void> {
  const format = (o.format ?? 'jsonl') as ExportOptions['format'];
  if (!EXPORT_FORMATS.includes(format)) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--format ${JSON.stringify(o.format)}: use one of ${EXPORT_FORMATS.join(', ')}`,
    );
  }
  if (!o.output && (format === 'parquet' || format === 'focus-parquet')) {
    throw new TokenledgerError('CLI_BAD_OPTION', `${format} is binary: give a file with --output FILE`);
  }
  const range = parseRange(o, nowMicros());
  if (o.output && isLedgerFile(o.output, ledgerPath(o)))
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--output ${o.output} is the ledger's own file (${ledgerPath(o)}): the export would replace the ledger; ` +
        'write it to another file',
    );
  const write = (path: string) =>
    withStore(o, (store) => store.export({ format, path, ...range }), { existing: true });
  if (o.output) {
    const result = await write(resolve(o.output));
    if (format !== 'focus' && format !== 'focus-parquet')
      return err(`${exported(format, result)} to ${o.output}\n`);
    // FOCUS asks for the dataset's schema metadata, retrievable without reading the data: a file beside it.
    const metadata = metadataPathOf(o.output);
    await writeFile(
      metadata,
      `${JSON.stringify(focusMetadata(nowMicros(), TOKENLEDGER_VERSION), null, 2)}\n`,
    );
    return err(`${exported(format, result)} to ${o.output}, its schema metadata to ${metadata}\n`);
  }
  // DuckDB opens the path it writes, and /dev/stdout cannot be opened when standard output is a socket (as a Node
  // parent's pipe is), nor is it ours when a server holds the ledger and writes the export. So the export goes to a
  // file beside the ledger (the same disk, not a RAM-backed /tmp), which is then copied to standard output.
  const path = ledgerPath(o);
  ledgerMustExist(path); // before a temporary folder is made beside it
  const dir = await mkdtemp(join(dirname(path), '.export-'));
  try {
    const file = join(dir, `export.${format}`);
    const result = await write(file);
    try {
      await pipeline(createReadStream(file), process.stdout, { end: false });
    } catch (e) {
      // The reader stopped early (`| head`): what it read is what it wanted, as for any Unix filter.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
      throw e;
    }
    err(`${exported(format, result)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What an export wrote: events, or FOCUS rows and the events without a price it had to leave out. */
function exported(format: ExportOptions['format'], r: ExportResult): string {
  if (format !== 'focus' && format !== 'focus-parquet') return `exported ${counted(r.rows, 'event')}`;
  const unpriced = r.unpriced?.events ?? 0;
  return (
    `exported ${counted(r.rows, 'FOCUS row')}` +
    (unpriced === 0
      ? ''
      : ` (left out ${counted(unpriced, 'event')} with no price, ${counted(r.unpriced!.tokens, 'token')}: ` +
        'a FOCUS cost cannot be unknown; `tokenledger prices show MODEL` tells why a model is unpriced)')
  );
}

/** Whether `output` is the ledger's database or its WAL (by any name: a relative path, a symbolic link). */
function isLedgerFile(output: string, ledger: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p); // not there (yet): its path as given
    }
  };
  const target = real(output);
  return [ledger, `${ledger}.wal`].some((p) => real(p) === target);
}
