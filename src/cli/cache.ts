import { type CacheGroup, cacheGroupJson, readCacheGroups } from '../metrics/response-cache.js';
import { formatUsdDisplay } from '../money/money.js';
import { type LedgerOptions, withStore } from './context.js';
import {
  bucketOptions,
  type FilterOptions,
  parseDimensions,
  parseRange,
  parseTableOrJson,
  whereFilters,
} from './filters.js';
import { counted, groupDigits } from './group-digits.js';
import { bucketLabel, renderTable, timeHeader } from './report-format.js';

export interface CacheOptions extends LedgerOptions, FilterOptions {
  by?: string;
  bucket?: string;
  format?: string;
}

/** `tokenledger cache`: what the gateway's response cache answered and saved, by group (docs/gateway.md). */
export async function cacheCommand(o: CacheOptions, out: (s: string) => void): Promise<void> {
  const format = parseTableOrJson(o.format);
  const by = o.by === undefined ? [] : parseDimensions(o.by);
  const filters = await whereFilters(o);
  const buckets = bucketOptions(o);
  const { bucket, timeZone: zone } = buckets;
  const range = {
    filters,
    ...parseRange(o),
    ...buckets,
  };
  const c = await withStore(o, (store) => readCacheGroups(store, range, by), { existing: true });
  if (format === 'json') {
    out(
      `${JSON.stringify({ groups: c.groups.map(cacheGroupJson), total: cacheGroupJson(c.total) }, null, 2)}\n`,
    );
    return;
  }
  if (c.total.lookups === 0) {
    const matching = filters.length > 0 ? ' among the calls that match --where' : '';
    out(
      `The gateway's response cache looked up no call in this range${matching}: it is on with \`cache:\` in ` +
        'tokenledger.config.yaml (docs/gateway.md, Response cache).\n',
    );
    return;
  }
  const labels = [...(bucket === undefined ? [] : [timeHeader(bucket, zone ?? 'UTC')]), ...by];
  const header = [...(labels.length > 0 ? labels : ['']), 'looked up', 'hits', 'hit rate', 'spent', 'saved'];
  const line = (label: string[], g: CacheGroup) => [
    ...label,
    groupDigits(g.lookups),
    groupDigits(g.hits),
    g.hit_rate === null ? '—' : `${(100 * g.hit_rate).toFixed(1)}%`,
    formatUsdDisplay(g.spent_usd),
    `${formatUsdDisplay(g.saved_usd)}${g.unpriced_hits > 0 ? '*' : ''}`,
  ];
  const labelWidth = Math.max(1, labels.length);
  const labelOf = (g: CacheGroup) => [
    ...(bucket === undefined ? [] : [bucketLabel(g.bucket ?? '', bucket, zone ?? 'UTC')]),
    ...by.map((d) => g.dims[d] ?? '(none)'),
  ];
  const rows = labels.length > 0 ? c.groups.map((g) => line(labelOf(g), g)) : [];
  const total = line(['total', ...Array(labelWidth - 1).fill('')], c.total);
  const notes = [
    'spent: what the calls sent upstream cost; saved: what the answers served again cost when first asked',
  ];
  if (c.total.unpriced_hits > 0)
    notes.push(
      `* leaves out ${counted(c.total.unpriced_hits, 'hit')} whose first answer has no price or is not in this ledger`,
    );
  out(`${renderTable(header, [...rows, total], labelWidth, rows.length)}\n${notes.join('\n')}\n`);
}
