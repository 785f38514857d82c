import { shareUnattributed, sharingProblem } from '../allocation/share-unattributed.js';
import { TokenledgerError } from '../errors.js';
import { findSourceOverlaps, overlapNotes } from '../ledger/source-overlap.js';
import type { Query, QueryResult } from '../store/query.js';
import { type LedgerOptions, withStore } from './context.js';
import {
  type FilterOptions,
  nothingMatched,
  parseBucket,
  parseDimensions,
  parsePositiveInt,
  parseRange,
  parseTimeZone,
  whereFilters,
} from './filters.js';
import { reportCsv, reportJson, reportTable } from './report-format.js';

export interface ReportOptions extends LedgerOptions, FilterOptions {
  by?: string;
  bucket?: string;
  top?: string;
  format?: string;
  billed?: boolean;
  /** Split the cost of calls with no value of the one --by dimension among those with one (share-unattributed.ts). */
  shareUnattributed?: boolean;
}

export async function buildReportQuery(o: ReportOptions): Promise<Query> {
  const timeZone = parseTimeZone(o.tz);
  return {
    dimensions: parseDimensions(o.by ?? 'model'),
    filters: await whereFilters(o),
    ...parseRange(o),
    bucket: parseBucket(o.bucket),
    ...(timeZone === undefined ? {} : { timeZone }),
    top: parsePositiveInt('top', o.top),
    billed: o.billed ?? false,
  };
}

export async function report(o: ReportOptions, out: (s: string) => void): Promise<void> {
  const format = o.format ?? 'table';
  if (!['table', 'json', 'csv'].includes(format)) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--format ${JSON.stringify(format)}: use table, json or csv`,
    );
  }
  const q = await buildReportQuery(o);
  const problem = o.shareUnattributed ? sharingProblem(q) : null;
  if (problem !== null) throw new TokenledgerError('CLI_BAD_OPTION', `--share-unattributed: ${problem}`);
  const [stored, overlaps] = await withStore(
    o,
    async (store) => {
      const result = await store.query(q);
      return [result, format === 'table' ? await findSourceOverlaps(store, q) : []] as const;
    },
    { existing: true },
  );
  const result = o.shareUnattributed ? shareUnattributed(stored, q.dimensions[0]!) : stored;
  const text = formatReport(result, q, format);
  if (format !== 'table') {
    out(text);
    return;
  }
  const notes = overlapNotes(overlaps);
  if (result.totals.events === 0) notes.push(nothingMatched(q.filters ?? []));
  out(`${text}${notes.map((n) => `${n}\n`).join('')}`);
}

export function formatReport(result: QueryResult, q: Query, format = 'table'): string {
  const flagOther = q.top !== undefined;
  if (format === 'json') return `${reportJson(result, flagOther)}\n`;
  if (format === 'csv') return reportCsv(result, q.dimensions, q.bucket, flagOther);
  return reportTable(result, q.dimensions, q.bucket, q.timeZone);
}
