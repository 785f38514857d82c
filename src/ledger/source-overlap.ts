/**
 * Where the ledger holds the same provider's usage twice over: once as the provider reports it in aggregate (its
 * usage export, Claude Code's analytics report) and once call by call (the gateway, agent logs, telemetry). A call
 * made with an organisation's API key is in both, and a report over both counts it twice; nothing in the records
 * says which calls are the same (an export has no request ids), so the ledger cannot drop one. It says so instead.
 * Likewise for one export imported at two bucket widths (the same days fetched by the hour and by the day): each
 * page is right, and together they count the usage twice. Pure but for findSourceOverlaps, which asks the store.
 */
import type { Query, QueryResult } from '../store/query.js';

/** Sources that report a provider's usage in aggregate, as the provider bills it. */
const AGGREGATE_SOURCES: ReadonlySet<string> = new Set([
  'openai-usage',
  'anthropic-usage',
  'anthropic-claude-code',
]);

/** Exports whose events carry their bucket's width (tag `bucket_seconds`, set by their importers). */
const BUCKETED_SOURCES: readonly string[] = ['openai-usage', 'anthropic-usage'];
const WIDTH_TAG = 'tag.bucket_seconds';

export interface SourceOverlap {
  provider: string;
  /**
   * The aggregate sources and the other sources that hold the same provider's usage on the same days; or, with
   * `bucket_seconds`, the one export that holds it at several bucket widths.
   */
  sources: string[];
  /** The bucket widths (seconds, ascending) one export holds the same days at; empty for an overlap of sources. */
  bucket_seconds: number[];
  /** Days (UTC, YYYY-MM-DD) on which they overlap: first, last and how many. */
  first: string;
  last: string;
  days: number;
}

interface DayRow {
  bucket?: string;
  dims: Record<string, string | null>;
}

/** Provider-days holding an aggregate source and any other source, grouped per provider and set of sources. */
export function sourceOverlaps(rows: readonly DayRow[]): SourceOverlap[] {
  const byDay = new Map<string, Set<string>>();
  for (const r of rows) {
    const { source, provider } = r.dims;
    if (!source || !provider || r.bucket === undefined) continue;
    const key = `${provider}\u0000${r.bucket.slice(0, 10)}`;
    const sources = byDay.get(key) ?? new Set<string>();
    sources.add(source);
    byDay.set(key, sources);
  }
  const out = new Map<string, SourceOverlap>();
  for (const [key, sources] of byDay) {
    if (sources.size < 2 || ![...sources].some((s) => AGGREGATE_SOURCES.has(s))) continue;
    const [provider, day] = key.split('\u0000') as [string, string];
    const list = [...sources].sort();
    const id = `${provider}\u0000${list.join(',')}`;
    const o = out.get(id);
    if (o === undefined)
      out.set(id, { provider, sources: list, bucket_seconds: [], first: day, last: day, days: 1 });
    else addDay(o, day);
  }
  return sortOverlaps([...out.values()]);
}

/**
 * Days on which one export holds a provider's usage of one operation at more than one bucket width (rows grouped
 * by source, provider, operation and tag.bucket_seconds, by day). Grouped per provider, export and set of widths;
 * a day counts once however many operations overlap on it.
 */
export function widthOverlaps(rows: readonly DayRow[]): SourceOverlap[] {
  const byDay = new Map<string, Set<number>>();
  for (const r of rows) {
    const { source, provider, operation } = r.dims;
    const width = Number(r.dims[WIDTH_TAG]);
    if (!source || !provider || r.bucket === undefined || !(width > 0)) continue;
    const key = [provider, source, operation ?? '', r.bucket.slice(0, 10)].join('\u0000');
    const widths = byDay.get(key) ?? new Set<number>();
    widths.add(width);
    byDay.set(key, widths);
  }
  const out = new Map<string, SourceOverlap & { seen: Set<string> }>();
  for (const [key, widths] of byDay) {
    if (widths.size < 2) continue;
    const [provider, source, , day] = key.split('\u0000') as [string, string, string, string];
    const list = [...widths].sort((a, b) => a - b);
    const id = [provider, source, list.join()].join('\u0000');
    const o = out.get(id);
    if (o === undefined)
      out.set(id, {
        provider,
        sources: [source],
        bucket_seconds: list,
        first: day,
        last: day,
        days: 1,
        seen: new Set([day]),
      });
    else if (!o.seen.has(day)) {
      o.seen.add(day);
      addDay(o, day);
    }
  }
  return sortOverlaps([...out.values()].map(({ seen: _, ...o }) => o));
}

function addDay(o: SourceOverlap, day: string): void {
  o.days++;
  if (day < o.first) o.first = day;
  if (day > o.last) o.last = day;
}

const sortOverlaps = (list: SourceOverlap[]) =>
  list.sort((a, b) => a.provider.localeCompare(b.provider) || a.first.localeCompare(b.first));

/**
 * The overlaps in a range and filters: first sources by provider over the whole range (one small grouping of the
 * rollup), and only for providers that have an export beside another source, the same by day. A ledger without
 * exports, the usual case, costs the first query alone.
 */
export async function findSourceOverlaps(
  store: { query(q: Query): Promise<QueryResult> },
  q: Pick<Query, 'filters' | 'since' | 'until'>,
): Promise<SourceOverlap[]> {
  const base = { filters: q.filters ?? [], since: q.since, until: q.until };
  const sources = new Map<string, Set<string>>();
  for (const r of (await store.query({ ...base, dimensions: ['source', 'provider'] })).rows) {
    const { source, provider } = r.dims;
    if (!source || !provider) continue;
    const set = sources.get(provider) ?? new Set<string>();
    set.add(source);
    sources.set(provider, set);
  }
  const providers = [...sources]
    .filter(([, set]) => set.size > 1 && [...set].some((s) => AGGREGATE_SOURCES.has(s)))
    .map(([p]) => p);
  const bucketed = [...new Set([...sources.values()].flatMap((set) => [...set]))].filter((s) =>
    BUCKETED_SOURCES.includes(s),
  );
  const [days, widths] = await Promise.all([
    providers.length === 0
      ? null
      : store.query({
          ...base,
          filters: [...base.filters, { dimension: 'provider', values: providers }],
          dimensions: ['source', 'provider'],
          bucket: 'day',
        }),
    bucketed.length === 0
      ? null
      : store.query({
          ...base,
          filters: [...base.filters, { dimension: 'source', values: bucketed }],
          dimensions: ['source', 'provider', 'operation', WIDTH_TAG],
          bucket: 'day',
        }),
  ]);
  return sortOverlaps([
    ...(days ? sourceOverlaps(days.rows) : []),
    ...(widths ? widthOverlaps(widths.rows) : []),
  ]);
}

/** One line per overlap, for the end of a report. */
export function overlapNotes(overlaps: readonly SourceOverlap[]): string[] {
  return overlaps.map((o) => {
    const span = o.days === 1 ? `on ${o.first}` : `on ${o.days} days from ${o.first} to ${o.last}`;
    if (o.bucket_seconds.length > 0) {
      const n = o.bucket_seconds.length;
      const widths = o.bucket_seconds.map(widthName).join(n === 2 ? ' and ' : ', ');
      return (
        `note: ${o.provider} usage ${span} is in the ledger from ${o.sources[0]} at ${n === 2 ? 'two' : n} bucket widths (${widths}): ` +
        `these totals count it ${n === 2 ? 'twice' : `${n} times`}; report one width with --where tag.bucket_seconds=${o.bucket_seconds[0]}`
      );
    }
    const aggregate = o.sources.filter((s) => AGGREGATE_SOURCES.has(s));
    const others = o.sources.filter((s) => !AGGREGATE_SOURCES.has(s));
    const per = others.length > 0 ? ` and call by call from ${others.join(', ')}` : '';
    return (
      `note: ${o.provider} usage ${span} is in the ledger as the provider reports it (${aggregate.join(', ')})${per}: ` +
      `where they describe the same calls these totals count them twice; report one view with --where source=${aggregate[0]}`
    );
  });
}

/** A bucket width as the provider APIs name it (1m, 1h, 1d), else in seconds. */
function widthName(seconds: number): string {
  if (seconds === 86_400) return '1 day';
  if (seconds === 3_600) return '1 hour';
  if (seconds === 60) return '1 minute';
  return `${seconds} s`;
}
