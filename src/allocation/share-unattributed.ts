import type { Query, QueryResult } from '../store/query.js';

/**
 * Why `q` cannot be shared, or null when it can: sharing needs the one dimension whose calls without a value it
 * shares, and every group in its rows (a top-N folds the unattributed one with others), at their cost as it is now.
 */
export function sharingProblem(q: Query): string | null {
  if (q.dimensions.length !== 1)
    return 'give exactly one dimension whose calls without a value are shared, e.g. team';
  if (q.top !== undefined) return 'not with top, which folds groups (the unattributed one too) into one row';
  if (q.billed) return 'not with billed: it shares the cost as it is now';
  return null;
}

/**
 * Shared cost allocation, as FinOps allocates a platform's shared costs (docs/cli.md, `report
 * --share-unattributed`): the cost of the calls that name no value of `dimension` (no team, say) is split among the
 * groups that do, in proportion to their own cost, bucket by bucket. Every row gets `shared_usd`, what it took (+)
 * or gave (−); its allocated cost is `cost_usd + shared_usd`. Totals do not change.
 *
 * Exact: shares are whole pico-dollars, each the floor of its proportion, and the few pico-dollars the floors leave
 * go one each to the largest remainders (the earlier row in the report's order among equal ones), so a bucket's
 * shares add up to what it shared. Proportional only: it is FinOps' usual rule and needs nothing more; an even or
 * fixed split would need a list of who shares. A bucket whose named groups cost nothing keeps its unattributed cost.
 * Cost not known (unpriced events) is not shared: it is unknown, not $0.
 */
export function shareUnattributed(result: QueryResult, dimension: string): QueryResult {
  const buckets = new Map<string | undefined, number[]>();
  result.rows.forEach((r, i) => {
    const rows = buckets.get(r.bucket) ?? [];
    rows.push(i);
    buckets.set(r.bucket, rows);
  });
  const shared = result.rows.map(() => 0n);
  const cost = (i: number) => result.rows[i]!.cost_usd;
  for (const rows of buckets.values()) {
    const none = rows.find((i) => result.rows[i]!.dims[dimension] === null);
    if (none === undefined || cost(none) <= 0n) continue;
    const pool = cost(none);
    const takers = rows.filter((i) => i !== none && cost(i) > 0n);
    const weight = takers.reduce((sum, i) => sum + cost(i), 0n);
    if (weight === 0n) continue;
    const parts = takers.map((i) => ({
      i,
      share: (pool * cost(i)) / weight,
      rest: (pool * cost(i)) % weight,
    }));
    let left = pool - parts.reduce((sum, p) => sum + p.share, 0n);
    const byRest = [...parts].sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
    for (const p of byRest) {
      if (left === 0n) break;
      p.share++;
      left--;
    }
    for (const p of parts) shared[p.i] = p.share;
    shared[none] = -pool;
  }
  return { ...result, rows: result.rows.map((r, i) => ({ ...r, shared_usd: shared[i]! })) };
}
