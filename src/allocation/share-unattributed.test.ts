import { describe, expect, it } from 'vitest';
import { MEASURES, type Measures, type QueryResult, type Row } from '../store/query.js';
import { shareUnattributed } from './share-unattributed.js';

const USD = 10n ** 12n;

function row(team: string | null, cost: bigint, bucket?: string): Row {
  const m = Object.fromEntries(
    MEASURES.map((k) => [k, typeof k === 'string' && k.startsWith('cost') ? 0n : 0]),
  );
  return {
    ...(m as unknown as Measures),
    cost_usd: cost,
    ...(bucket ? { bucket } : {}),
    dims: { team },
    unpriced_events: 0,
  };
}

function result(rows: Row[]): QueryResult {
  const totals = { ...rows[0]!, cost_usd: rows.reduce((s, r) => s + r.cost_usd, 0n) } as Measures;
  return { rows, totals, unpriced: { events: 0, tokens: 0 } };
}

const shares = (r: QueryResult) => r.rows.map((x) => x.shared_usd);

describe('sharing the unattributed cost', () => {
  it('splits it among the named groups in proportion to their own cost', () => {
    const r = shareUnattributed(
      result([row('web', 60n * USD), row('api', 30n * USD), row(null, 9n * USD)]),
      'team',
    );
    expect(shares(r)).toEqual([6n * USD, 3n * USD, -9n * USD]);
    expect(r.totals).toEqual(
      result([row('web', 60n * USD), row('api', 30n * USD), row(null, 9n * USD)]).totals,
    );
  });

  it('shares to the pico-dollar: what the floors leave goes to the largest remainders, so nothing is lost', () => {
    // $1 over three equal groups: 333,333,333,333.33… each; the one pico-dollar left goes to the first.
    const r = shareUnattributed(result([row('a', 5n), row('b', 5n), row('c', 5n), row(null, USD)]), 'team');
    expect(shares(r)).toEqual([333_333_333_334n, 333_333_333_333n, 333_333_333_333n, -USD]);
    // Uneven weights: 7 pico-dollars over 3 : 2 : 2 → 3, 2, 2 exactly; 8 → 3.43, 2.29, 2.29 → 4 (the .43), 2, 2.
    expect(
      shares(shareUnattributed(result([row('a', 3n), row('b', 2n), row('c', 2n), row(null, 7n)]), 'team')),
    ).toEqual([3n, 2n, 2n, -7n]);
    expect(
      shares(shareUnattributed(result([row('a', 3n), row('b', 2n), row('c', 2n), row(null, 8n)]), 'team')),
    ).toEqual([4n, 2n, 2n, -8n]);
  });

  it('shares each bucket within itself', () => {
    const r = shareUnattributed(
      result([
        row('web', 10n * USD, 'd1'),
        row(null, 5n * USD, 'd1'),
        row('web', 1n * USD, 'd2'),
        row('api', 3n * USD, 'd2'),
        row(null, 4n * USD, 'd2'),
      ]),
      'team',
    );
    expect(shares(r)).toEqual([5n * USD, -5n * USD, 1n * USD, 3n * USD, -4n * USD]);
  });

  it('keeps the cost where no named group has any, and shares nothing where none is unattributed', () => {
    expect(shares(shareUnattributed(result([row('web', 0n), row(null, 5n * USD)]), 'team'))).toEqual([
      0n,
      0n,
    ]);
    expect(shares(shareUnattributed(result([row('web', 2n * USD), row('api', USD)]), 'team'))).toEqual([
      0n,
      0n,
    ]);
  });
});
