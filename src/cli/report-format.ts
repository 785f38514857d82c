/**
 * Report output. `json` is a stable contract scripts rely on (docs/cli.md): one object with rows, totals and
 * unpriced; money as decimal strings with 12 digits; token counts as integers. With `--top`, rows carry the API's
 * `other` flag (docs/api.md): the folded row's values read "other", as a team or user really named so do.
 */
import { tzOffset } from '@date-fns/tz/tzOffset';
import { formatUsdDisplay } from '../money/money.js';
import { resultColumns, resultJson, toCsv } from '../server/api/json.js';
import type { Bucket, Measures, QueryResult } from '../store/query.js';
import { counted, groupDigits, groupedSeconds } from './group-digits.js';

/**
 * What the table calls the row a top-N folds every other group into, as the dashboard does (web/src/format.ts): in
 * parentheses, like "(none)", so that it does not read as a name.
 */
const ALL_OTHERS = '(all others)';

/** `flagOther`: a top-N report, whose rows each say whether they are the folded one (`other`). */
export function reportJson(result: QueryResult, flagOther = false): string {
  return JSON.stringify(resultJson(result, flagOther), null, 2);
}

/**
 * The columns are those of `--format json`'s rows, the same when no event matched (a header and no rows); `other`
 * comes last, so that the columns before it keep their places.
 */
export function reportCsv(
  result: QueryResult,
  dims: readonly string[],
  bucket?: Bucket,
  flagOther = false,
): string {
  const billed = result.totals.billed_cost_usd !== undefined;
  const header = resultColumns(dims, bucket !== undefined, flagOther, billed, isShared(result));
  return toCsv(resultJson(result, flagOther).rows, header);
}

/** A time bucket's column header: the bucket's name, and an hour's zone ("hour (Asia/Tokyo)"). */
export function timeHeader(bucket: Bucket, zone: string): string {
  return bucket === 'hour' ? `hour (${zone})` : bucket;
}

/**
 * A cost in a table: a row whose events all lack a price says so rather than "$0.00"; one with some, marks its cost
 * with "*" (a note under the table says what it leaves out).
 */
export function costCell(usd: bigint, unpriced: number, events: number): string {
  return unpriced === 0
    ? formatUsdDisplay(usd)
    : unpriced === events
      ? 'unpriced'
      : `${formatUsdDisplay(usd)} *`;
}

/**
 * A bucket's start as people read it in a table: the day of a day or week, the month, the hour, on the clocks of
 * `zone` (the zone the buckets are local to; UTC by default), not the UTC instant it starts at.
 */
export function bucketLabel(iso: string, bucket: Bucket, zone: string): string {
  const t = wallClock(Date.parse(iso), zone);
  return bucket === 'hour' ? t.slice(0, 16) : bucket === 'month' ? t.slice(0, 7) : t.slice(0, 10);
}

/** "YYYY-MM-DD HH:MM" of epoch ms `ms` in `zone`. */
function wallClock(ms: number, zone: string): string {
  return new Date(ms + tzOffset(zone, new Date(ms)) * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** A report whose unattributed cost was shared (allocation/share-unattributed.ts): its rows say what each took. */
const isShared = (result: QueryResult) => result.rows.some((r) => r.shared_usd !== undefined);

export function reportTable(
  result: QueryResult,
  dims: readonly string[],
  bucket?: Bucket,
  zone = 'UTC',
): string {
  const bucketed = bucket !== undefined;
  const billed = result.totals.billed_cost_usd !== undefined;
  const shared = isShared(result);
  // Only a report with web searches in it has the column: they are a fee in the cost, not tokens (pricing.md).
  const searched = result.totals.web_search_requests > 0;
  // Likewise audio billed by its duration, in seconds.
  const timed = result.totals.audio_ms > 0;
  const labels = [...(bucketed ? [timeHeader(bucket, zone)] : []), ...dims];
  // The total's label needs a column of its own, even in a report by nothing (`--by ''`).
  const labelWidth = Math.max(1, labels.length);
  const header = [
    ...(labels.length > 0 ? labels : ['']),
    'cost',
    ...(billed ? ['as billed'] : []),
    ...(shared ? ['shared', 'allocated'] : []),
    'input',
    'cache read',
    'cache write',
    'output',
    ...(searched ? ['web searches'] : []),
    ...(timed ? ['audio seconds'] : []),
    'requests',
  ];
  const line = (label: string[], m: Measures, unpriced: number, share = 0n) => [
    ...label,
    costCell(m.cost_usd, unpriced, m.events),
    // The as-billed cost, with the events that had no price when billed.
    ...(billed ? [costCell(m.billed_cost_usd ?? 0n, m.billed_unpriced_events ?? 0, m.events)] : []),
    ...(shared
      ? [share === 0n ? '' : formatUsdDisplay(share), costCell(m.cost_usd + share, unpriced, m.events)]
      : []),
    groupDigits(m.input_tokens),
    groupDigits(m.cache_read_tokens),
    groupDigits(m.cache_write_5m_tokens + m.cache_write_1h_tokens),
    groupDigits(m.output_tokens),
    ...(searched ? [groupDigits(m.web_search_requests)] : []),
    ...(timed ? [groupedSeconds(m.audio_ms)] : []),
    groupDigits(m.requests),
  ];
  const body = result.rows.map((r) => {
    const label = [
      ...(bucketed ? [bucketLabel(r.bucket ?? '', bucket, zone)] : []),
      ...dims.map((d) => (r.folded ? ALL_OTHERS : (r.dims[d] ?? '(none)'))),
    ];
    return line(label.length > 0 ? label : [''], r, r.unpriced_events, r.shared_usd);
  });
  const total = line(['total', ...Array(labelWidth - 1).fill('')], result.totals, result.unpriced.events);
  const text = renderTable(header, [...body, total], labelWidth, body.length);
  const u = result.unpriced;
  const notes = [
    u.events === 0
      ? 'unpriced: 0 events (every event in this report has a price)'
      : `unpriced: ${counted(u.events, 'event')}, ${counted(u.tokens, 'token')} — not in the cost above; ` +
        'add their models to tokenledger.prices.yaml and run `tokenledger reprice`',
  ];
  const billedUnpriced = result.totals.billed_unpriced_events ?? 0;
  if (billedUnpriced > 0)
    notes.push(
      `as billed: ${counted(billedUnpriced, 'event')} had no price when billed — not in the as-billed cost`,
    );
  if (shared) {
    const pooled = result.rows.reduce(
      (sum, r) => sum + ((r.shared_usd ?? 0n) < 0n ? -r.shared_usd! : 0n),
      0n,
    );
    notes.push(
      `shared: the ${formatUsdDisplay(pooled)} of calls with no ${dims[0]} is split among the others in proportion ` +
        `to their cost${bucketed ? ` (each ${bucket} within itself)` : ''}; allocated = cost + shared`,
    );
  }
  const partly = (n: number) => n > 0 && n < result.totals.events;
  if (partly(u.events) || partly(billedUnpriced)) notes.push('* a cost marked so leaves out some of them');
  return `${text}\n${notes.join('\n')}\n`;
}

/**
 * Columns padded to their widest cell, labels to the left and numbers to the right, a rule under the header and,
 * when `ruleAfter` is given, after that many rows (above a total).
 */
export function renderTable(
  header: string[],
  rows: string[][],
  labelColumns: number,
  ruleAfter?: number,
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i < labelColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const lines = rows.map(fmt);
  if (ruleAfter !== undefined) lines.splice(ruleAfter, 0, rule);
  return [fmt(header), rule, ...lines].join('\n');
}
