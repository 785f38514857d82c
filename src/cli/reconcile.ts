import { TokenledgerError } from '../errors.js';
import { type ReconcileRow, type Reconciliation, reconcile } from '../ingest/reconcile.js';
import { formatDecimal, formatUsd, formatUsdShort, parseDecimal } from '../money/money.js';
import { toCsv } from '../server/api/json.js';
import type { RecordFilter } from '../store/import-records.js';
import { type LedgerOptions, withStore } from './context.js';
import { loadCliPricer } from './pricer.js';

export interface ReconcileOptions extends LedgerOptions {
  provider?: string;
  month?: string;
  threshold?: string;
  format?: string;
}

/** `tokenledger reconcile`: computed cost against provider-reported cost (docs/reconcile.md). */
export async function reconcileCommand(
  o: ReconcileOptions,
  out: (s: string) => void,
): Promise<Reconciliation> {
  const format = o.format ?? 'table';
  if (!['table', 'json', 'csv'].includes(format))
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--format ${JSON.stringify(format)}: use table, json or csv`,
    );
  const thresholdBp = parseThreshold(o.threshold ?? '5');
  const filter: RecordFilter = { ...monthRange(o.month), provider: o.provider };
  const pricer = await loadCliPricer(o);
  const result = await withStore(
    o,
    async (store) => {
      // Every store that imports keeps these; one that does not has nothing to reconcile.
      if (!store.records) return { rows: [], otherCurrency: 0, overlapping: 0 };
      const [computed, reported] = await Promise.all([
        store.records.computedCosts(filter),
        store.records.providerCosts(filter),
      ]);
      return reconcile(computed, reported, {
        thresholdBp,
        canonical: (model, provider) => pricer.resolve(model, provider)?.model ?? model,
      });
    },
    { existing: true },
  );
  if (format === 'json') out(`${JSON.stringify(toJson(result, thresholdBp), null, 2)}\n`);
  else if (format === 'csv') out(toCsv(result.rows.map(rowJson), CSV_HEADER));
  else out(toTable(result, thresholdBp, o));
  return result;
}

function parseThreshold(v: string): bigint {
  try {
    const bp = parseDecimal(v, 2);
    if (bp >= 0n) return bp;
  } catch {}
  throw new TokenledgerError(
    'CLI_BAD_OPTION',
    `--threshold ${JSON.stringify(v)}: expected a percentage like 5 or 0.5`,
  );
}

function monthRange(month: string | undefined): { since?: number; until?: number } {
  if (month === undefined) return {};
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const mm = m ? Number(m[2]) : 0;
  if (!m || mm < 1 || mm > 12)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--month ${JSON.stringify(month)}: expected YYYY-MM, e.g. 2026-01`,
    );
  return { since: Date.UTC(Number(m[1]), mm - 1, 1) * 1000, until: Date.UTC(Number(m[1]), mm, 1) * 1000 };
}

const pct = (bp: bigint | null) => (bp === null ? null : formatDecimal(bp, 2));

function rowJson(r: ReconcileRow) {
  return {
    day: r.day,
    basis: r.basis,
    source: r.source,
    provider: r.provider,
    project: r.project,
    model: r.model,
    // A row of a report's lines that name no model (web search, …), apart from a row of every model (both: model null).
    model_less_lines: r.model_less_lines,
    events: r.events,
    unpriced_events: r.unpriced_events,
    computed_usd: formatUsd(r.computed_usd),
    reported_usd: formatUsd(r.reported_usd),
    diff_usd: formatUsd(r.diff_usd),
    diff_pct: pct(r.diff_bp),
    flagged: r.flagged,
  };
}

function totals(rows: readonly ReconcileRow[]) {
  const computed = rows.reduce((a, r) => a + r.computed_usd, 0n);
  const reported = rows.reduce((a, r) => a + r.reported_usd, 0n);
  return { computed, reported, diff: computed - reported, flagged: rows.filter((r) => r.flagged).length };
}

function toJson(res: Reconciliation, thresholdBp: bigint) {
  const t = totals(res.rows);
  return {
    threshold_pct: formatDecimal(thresholdBp, 2),
    rows: res.rows.map(rowJson),
    totals: {
      computed_usd: formatUsd(t.computed),
      reported_usd: formatUsd(t.reported),
      diff_usd: formatUsd(t.diff),
      flagged_rows: t.flagged,
    },
    other_currency_records: res.otherCurrency,
    overlapping_records: res.overlapping,
  };
}

const CSV_HEADER = [
  'day',
  'basis',
  'source',
  'provider',
  'project',
  'model',
  'model_less_lines',
  'events',
  'unpriced_events',
  'computed_usd',
  'reported_usd',
  'diff_usd',
  'diff_pct',
  'flagged',
] as const;

function toTable(res: Reconciliation, thresholdBp: bigint, o: ReconcileOptions): string {
  // With filters, the ledger may well hold provider costs: a provider named otherwise (OpenAI for openai), a month.
  const filters = [
    ...(o.provider === undefined ? [] : [`--provider ${o.provider}`]),
    ...(o.month === undefined ? [] : [`--month ${o.month}`]),
  ];
  if (res.rows.length === 0 && filters.length > 0)
    return `Nothing to reconcile for ${filters.join(' ')}; \`tokenledger reconcile --format csv\` lists the providers and days there are.\n`;
  if (res.rows.length === 0)
    return 'Nothing to reconcile: import a provider cost export (openai-usage, anthropic-usage) or usage that carries provider costs (cursor, claude-code costUSD).\n';
  const header = [
    'day',
    'basis',
    'source',
    'provider',
    'project',
    'model',
    'events',
    'computed',
    'reported',
    'diff',
    'diff %',
    '',
  ];
  const body = res.rows.map((r) => [
    r.day,
    r.basis,
    r.source,
    r.provider ?? '-',
    r.project ?? '-',
    r.model ?? (r.model_less_lines ? '(no model)' : '(all)'),
    String(r.events) + (r.unpriced_events ? ` (${r.unpriced_events} unpriced)` : ''),
    formatUsdShort(r.computed_usd, 4),
    formatUsdShort(r.reported_usd, 4),
    formatUsdShort(r.diff_usd, 4),
    pct(r.diff_bp) ?? 'n/a',
    r.flagged ? '!' : '',
  ]);
  const t = totals(res.rows);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const fmt = (l: string[]) =>
    l
      .map((c, i) => (i >= 6 && i <= 10 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[
    fmt(header),
    ...body.map(fmt),
    '',
    `total computed ${formatUsdShort(t.computed, 4)}, reported ${formatUsdShort(t.reported, 4)}, diff ${formatUsdShort(t.diff, 4)}; ${t.flagged} row(s) flagged (!) over ${formatDecimal(thresholdBp, 2)}%, with nothing to compare, or with unpriced events`,
    ...(res.otherCurrency
      ? [`${res.otherCurrency} cost record(s) in other currencies were not compared`]
      : []),
    ...(res.overlapping
      ? [
          `${res.overlapping} cost record(s) without line items were left out: the same day and project has line items, which hold the same costs`,
        ]
      : []),
  ].join('\n')}\n`;
}
