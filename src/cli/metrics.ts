import {
  type GroupMetrics,
  groupMetricsJson,
  METRICS_DIMENSIONS,
  metricsBy,
} from '../metrics/group-metrics.js';
import { formatUsdDisplay } from '../money/money.js';
import { type LedgerOptions, withStore } from './context.js';
import {
  bucketOptions,
  type FilterOptions,
  nothingMatched,
  parseDimensions,
  parseRange,
  parseTableOrJson,
  whereFilters,
} from './filters.js';
import { counted, groupDigits } from './group-digits.js';
import { bucketLabel, costCell, renderTable, timeHeader } from './report-format.js';

export interface MetricsOptions extends LedgerOptions, FilterOptions {
  by?: string;
  bucket?: string;
  format?: string;
}

/** `tokenledger metrics`: effective cost per 1M tokens, per call, cache hit rate and savings, by group. */
export async function metricsCommand(o: MetricsOptions, out: (s: string) => void): Promise<void> {
  const format = parseTableOrJson(o.format);
  const by = parseDimensions(o.by ?? 'model');
  const filters = await whereFilters(o);
  const buckets = bucketOptions(o);
  const { bucket, timeZone: zone } = buckets;
  const extra = METRICS_DIMENSIONS.filter((d) => !by.includes(d));
  const q = {
    dimensions: [...by, ...extra],
    filters,
    ...parseRange(o),
    ...buckets,
  };
  const [result, energy] = await withStore(o, (store) => Promise.all([store.query(q), store.energy(q)]), {
    existing: true,
  });
  const m = metricsBy(result, by, energy);
  // Energy columns only for a ledger that has GPU telemetry: for hosted APIs no one measures it.
  const withEnergy = m.total.energy_j !== null;
  if (format === 'json') {
    out(
      `${JSON.stringify({ groups: m.groups.map(groupMetricsJson), total: groupMetricsJson(m.total) }, null, 2)}\n`,
    );
    return;
  }
  const labels = [...(bucket === undefined ? [] : [timeHeader(bucket, zone ?? 'UTC')]), ...by];
  const header = [
    ...(labels.length > 0 ? labels : ['']),
    'cost',
    'per 1M tokens',
    'per call',
    'cache hit',
    'cache saved',
    'tokens',
    'calls',
    ...(withEnergy ? ['energy', 'tokens/J'] : []),
  ];
  const line = (label: string[], g: GroupMetrics) => [
    ...label,
    costCell(g.cost_usd, g.unpriced_events, g.events),
    g.priced_tokens === 0 ? '—' : formatUsdDisplay(g.cost_per_1m_tokens_usd),
    g.priced_requests === 0 ? '—' : formatUsdDisplay(g.cost_per_request_usd),
    g.cache_hit_rate === null ? '—' : `${(100 * g.cache_hit_rate).toFixed(1)}%`,
    formatUsdDisplay(g.cache_savings_usd),
    groupDigits(g.tokens),
    groupDigits(g.requests),
    ...(withEnergy
      ? [g.energy_j === null ? '—' : joulesText(g.energy_j), g.tokens_per_joule?.toString() ?? '—']
      : []),
  ];
  const labelWidth = Math.max(1, labels.length);
  const labelOf = (g: GroupMetrics) => [
    ...(bucket === undefined ? [] : [bucketLabel(g.bucket ?? '', bucket, zone ?? 'UTC')]),
    ...by.map((d) => g.dims[d] ?? '(none)'),
  ];
  const rows = m.groups.map((g) => line(labels.length > 0 ? labelOf(g) : [''], g));
  const total = line(['total', ...Array(labelWidth - 1).fill('')], m.total);
  const notes = [
    m.total.unpriced_events === 0
      ? 'unpriced: 0 events'
      : `unpriced: ${counted(m.total.unpriced_events, 'event')} — not in the costs (* marks a cost that leaves ` +
        'some out), nor in "per 1M tokens" and "per call"',
    'per 1M tokens: cost over the priced tokens of every kind; cache hit: the share of prompt tokens read from a cache',
    'cache saved: cache reads at the uncached input price, less what they cost (docs/metrics.md)',
  ];
  if (withEnergy)
    notes.push(
      "tokens/J: tokens of the group's self-served models over their GPUs' joules, idle time included (docs/metrics.md)",
    );
  if (m.total.requests === 0) notes.push(nothingMatched(filters));
  out(`${renderTable(header, [...rows, total], labelWidth, rows.length)}\n${notes.join('\n')}\n`);
}

/** Joules in the SI prefix that keeps 3 significant digits readable: 950 J, 3.60 MJ, 1.25 GJ. */
function joulesText(j: number): string {
  const units: [number, string][] = [
    [1e12, 'TJ'],
    [1e9, 'GJ'],
    [1e6, 'MJ'],
    [1e3, 'kJ'],
  ];
  for (const [size, unit] of units) if (j >= size) return `${(j / size).toPrecision(3)} ${unit}`;
  return `${j.toPrecision(3)} J`;
}
