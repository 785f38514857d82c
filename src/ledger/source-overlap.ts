/**
 * Where the ledger holds the same provider's usage twice over: once as the provider reports it in aggregate (its
 * usage export, Claude Code's analytics report) and once call by call (the gateway, agent logs, telemetry). A call
 * made with an organisation's API key is in both, and a report over both counts it twice; nothing in the records
 * says which calls are the same (an export has no request ids), so the ledger cannot drop one. It says so instead.
 * Pure but for findSourceOverlaps, which asks the store.
 */
import type { Filter, Query, QueryResult } from '../store/query.js';

/** Sources that report a provider's usage in aggregate, as the provider bills it. */
const AGGREGATE_SOURCES: ReadonlySet<string> = new Set([
  'openai-usage',
  'anthropic-usage',
  'anthropic-claude-code',
]);

export interface SourceOverlap {
  provider: string;
  /** The aggregate sources and the other sources that hold the same provider's usage on the same days. */
  sources: string[];
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
    if (o === undefined) out.set(id, { provider, sources: list, first: day, last: day, days: 1 });
    else {
      o.days++;
      if (day < o.first) o.first = day;
      if (day > o.last) o.last = day;
    }
  }
  return [...out.values()].sort(
    (a, b) => a.provider.localeCompare(b.provider) || a.first.localeCompare(b.first),
  );
}

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
  if (providers.length === 0) return [];
  const provider: Filter = { dimension: 'provider', values: providers };
  const days = await store.query({
    ...base,
    filters: [...base.filters, provider],
    dimensions: ['source', 'provider'],
    bucket: 'day',
  });
  return sourceOverlaps(days.rows);
}

/** One line per overlap, for the end of a report. */
export function overlapNotes(overlaps: readonly SourceOverlap[]): string[] {
  return overlaps.map((o) => {
    const aggregate = o.sources.filter((s) => AGGREGATE_SOURCES.has(s));
    const others = o.sources.filter((s) => !AGGREGATE_SOURCES.has(s));
    const span = o.days === 1 ? `on ${o.first}` : `on ${o.days} days from ${o.first} to ${o.last}`;
    const per = others.length > 0 ? ` and call by call from ${others.join(', ')}` : '';
    return (
      `note: ${o.provider} usage ${span} is in the ledger as the provider reports it (${aggregate.join(', ')})${per}: ` +
      `where they describe the same calls these totals count them twice; report one view with --where source=${aggregate[0]}`
    );
  });
}
