import { GATEWAY_CACHE_TAG } from '../ledger/event.js';
import { formatUsd } from '../money/money.js';
import type { CacheSavingsRow, Dimension, Filter, Query, QueryResult } from '../store/query.js';
import type { Store } from '../store/store.js';

/** The tag of every call the gateway's response cache looked up: `hit` or `miss` (ledger/event.ts). */
const CACHE_DIMENSION: Dimension = `tag.${GATEWAY_CACHE_TAG}`;

/**
 * What the gateway's response cache did for one group (docs/gateway.md, Response cache): the calls it looked up,
 * those it answered, what the calls it sent upstream cost, and what the answers it served again cost when first
 * asked, which is what it saved.
 */
export interface CacheGroup {
  bucket?: string;
  dims: Record<string, string | null>;
  lookups: number;
  hits: number;
  /** hits / lookups; null without lookups. */
  hit_rate: number | null;
  /** What the misses cost: the calls the cache sent upstream, unpriced ones left out. */
  spent_usd: bigint;
  /** Σ what the event each hit was answered from cost. */
  saved_usd: bigint;
  /** Hits whose first answer has no price, or is not in this ledger: left out of `saved_usd`. */
  unpriced_hits: number;
}

/** The report's filter: the calls the cache looked up, and nothing else. */
const LOOKED_UP: Filter = { dimension: CACHE_DIMENSION, values: ['hit', 'miss'] };

/**
 * What the cache did for each group `by` over a query's range, filters and bucket: a report of the calls it looked
 * up, by `by` and the cache's tag (to tell hits from misses), and what the hits saved (Store.cacheSavings), read at
 * once and merged by cacheGroups.
 */
export async function readCacheGroups(
  store: Store,
  q: Omit<Query, 'dimensions'>,
  by: readonly Dimension[],
): Promise<{ groups: CacheGroup[]; total: CacheGroup }> {
  const [report, savings] = await Promise.all([
    store.query({ ...q, dimensions: [...by, CACHE_DIMENSION], filters: [...(q.filters ?? []), LOOKED_UP] }),
    store.cacheSavings({ ...q, dimensions: by }),
  ]);
  return cacheGroups(report, by, savings);
}

/**
 * Each group of `by`, from the report and the savings readCacheGroups reads; most saved first, then most looked up,
 * and their total.
 */
export function cacheGroups(
  report: QueryResult,
  by: readonly Dimension[],
  savings: readonly CacheSavingsRow[],
): { groups: CacheGroup[]; total: CacheGroup } {
  const groups = new Map<string, CacheGroup>();
  const groupOf = (bucket: string | undefined, dims: Record<string, string | null>) => {
    const own = Object.fromEntries(by.map((d) => [d, dims[d] ?? null]));
    const key = JSON.stringify([bucket ?? null, ...by.map((d) => own[d])]);
    let g = groups.get(key);
    if (g === undefined) {
      g = { ...(bucket === undefined ? {} : { bucket }), dims: own, ...emptyCounts() };
      groups.set(key, g);
    }
    return g;
  };
  for (const r of report.rows) {
    const g = groupOf(r.bucket, r.dims);
    g.lookups += r.events;
    // The hits' own cost is $0: their answers' first cost is in saved_usd, from the events they name.
    if (r.dims[CACHE_DIMENSION] === 'miss') g.spent_usd += r.cost_usd;
  }
  for (const s of savings) {
    const g = groupOf(s.bucket, s.dims);
    g.hits += s.hits;
    g.saved_usd += s.saved_usd;
    g.unpriced_hits += s.unpriced;
  }
  const total: CacheGroup = { dims: {}, ...emptyCounts() };
  for (const g of groups.values()) {
    total.lookups += g.lookups;
    total.hits += g.hits;
    total.spent_usd += g.spent_usd;
    total.saved_usd += g.saved_usd;
    total.unpriced_hits += g.unpriced_hits;
    g.hit_rate = rate(g);
  }
  total.hit_rate = rate(total);
  const sorted = [...groups.values()].sort(
    (a, b) =>
      (a.bucket ?? '').localeCompare(b.bucket ?? '') ||
      (b.saved_usd > a.saved_usd ? 1 : b.saved_usd < a.saved_usd ? -1 : 0) ||
      b.lookups - a.lookups,
  );
  return { groups: sorted, total };
}

/** A group as JSON: its dimension values under their own names (and its bucket), then the counts, money as text. */
export function cacheGroupJson(g: CacheGroup): Record<string, string | number | null> {
  return {
    ...(g.bucket === undefined ? {} : { bucket: g.bucket }),
    ...g.dims,
    lookups: g.lookups,
    hits: g.hits,
    hit_rate: g.hit_rate,
    spent_usd: formatUsd(g.spent_usd),
    saved_usd: formatUsd(g.saved_usd),
    unpriced_hits: g.unpriced_hits,
  };
}

function emptyCounts() {
  return { lookups: 0, hits: 0, hit_rate: null, spent_usd: 0n, saved_usd: 0n, unpriced_hits: 0 };
}

function rate(g: CacheGroup): number | null {
  return g.lookups === 0 ? null : g.hits / g.lookups;
}
