import { describe, expect, it } from 'vitest';
import type { QueryResult, Row } from '../store/query.js';
import { cacheGroupJson, cacheGroups } from './response-cache.js';

/** A report row of `events` calls of one team and cache outcome, costing `cost` pico-dollars. */
const row = (team: string | null, outcome: 'hit' | 'miss', events: number, cost: bigint, bucket?: string) =>
  ({
    ...(bucket === undefined ? {} : { bucket }),
    dims: { team, 'tag.gateway_cache': outcome },
    events,
    requests: events,
    cost_usd: cost,
    unpriced_events: 0,
  }) as unknown as Row;
const report = (rows: Row[]) => ({ rows }) as unknown as QueryResult;

describe("the response cache's groups", () => {
  it("counts lookups from hits and misses, spent from the misses alone, saved from the hits' first answers", () => {
    const c = cacheGroups(
      report([
        row('web', 'miss', 6, 900n),
        row('web', 'hit', 2, 0n),
        row('api', 'miss', 4, 50n),
        row(null, 'hit', 1, 0n),
      ]),
      ['team'],
      [
        { dims: { team: 'web' }, hits: 2, saved_usd: 300n, unpriced: 0 },
        { dims: { team: null }, hits: 1, saved_usd: 0n, unpriced: 1 },
      ],
    );
    expect(c.groups.map(cacheGroupJson)).toEqual([
      {
        team: 'web',
        lookups: 8,
        hits: 2,
        hit_rate: 0.25,
        spent_usd: '0.000000000900',
        saved_usd: '0.000000000300',
        unpriced_hits: 0,
      },
      {
        team: 'api',
        lookups: 4,
        hits: 0,
        hit_rate: 0,
        spent_usd: '0.000000000050',
        saved_usd: '0.000000000000',
        unpriced_hits: 0,
      },
      {
        team: null,
        lookups: 1,
        hits: 1,
        hit_rate: 1,
        spent_usd: '0.000000000000',
        saved_usd: '0.000000000000',
        unpriced_hits: 1,
      },
    ]);
    expect(c.total).toEqual({
      dims: {},
      lookups: 13,
      hits: 3,
      hit_rate: 3 / 13,
      spent_usd: 950n,
      saved_usd: 300n,
      unpriced_hits: 1,
    });
  });

  it('keeps buckets in order, and has no rate without lookups', () => {
    const c = cacheGroups(
      report([
        row('web', 'miss', 1, 5n, '2026-12-02T00:00:00.000Z'),
        row('web', 'hit', 1, 0n, '2026-12-01T00:00:00.000Z'),
      ]),
      ['team'],
      [{ bucket: '2026-12-01T00:00:00.000Z', dims: { team: 'web' }, hits: 1, saved_usd: 5n, unpriced: 0 }],
    );
    expect(c.groups.map((g) => [g.bucket, g.hits, g.lookups])).toEqual([
      ['2026-12-01T00:00:00.000Z', 1, 1],
      ['2026-12-02T00:00:00.000Z', 0, 1],
    ]);
    expect(cacheGroups(report([]), [], []).total.hit_rate).toBeNull();
  });
});
