import { describe, expect, it } from 'vitest';
import type { Person } from './people.js';
import { medianSpend, tierOf, tierReport } from './tiers.js';

const usd = (n: number) => BigInt(Math.round(n * 100)) * 10_000_000_000n;

function person(name: string, spendUsd: number, shipped: number, over: Partial<Person> = {}): Person {
  return {
    person: name,
    names: [name],
    spend: usd(spendUsd),
    unpricedEvents: 0,
    changes: shipped,
    shipped,
    reverted: 0,
    reverts: 0,
    linesAdded: shipped * 100,
    linesDeleted: 0,
    settledLines: shipped * 100,
    reworkedLines: shipped * 10,
    ...over,
  };
}

describe('usage tiers', () => {
  it('cut at fractions and multiples of the median spender, exactly at the bounds', () => {
    const m = usd(100);
    expect(tierOf(0n, m)).toBe('none');
    expect(tierOf(usd(49.99), m)).toBe('light');
    expect(tierOf(usd(50), m)).toBe('moderate');
    expect(tierOf(usd(200), m)).toBe('moderate');
    expect(tierOf(usd(200) + 1n, m)).toBe('heavy');
    expect(tierOf(usd(1000), m)).toBe('heavy');
    expect(tierOf(usd(1000) + 1n, m)).toBe('extreme');
  });

  it('the median is of those who spent, the middle two averaged', () => {
    expect(medianSpend([0n, 0n, 3n, 1n, 2n])).toBe(2n);
    expect(medianSpend([0n, 4n, 1n, 2n, 3n])).toBe(2n); // (2+3)/2 = 2.5 → 2, half to even
    expect(medianSpend([0n])).toBe(0n);
  });
});

describe('the tier report', () => {
  const people = [
    person('n1', 0, 4),
    person('n2', 0, 6),
    person('l1', 10, 5),
    person('l2', 20, 7),
    person('m1', 50, 10),
    person('m2', 60, 12),
    person('m3', 70, 11),
    person('x1', 5000, 13, { reverted: 3, changes: 16, reworkedLines: 600 }),
  ];
  const r = tierReport(people, 2);

  it('sums each tier exactly and per person per week', () => {
    expect(r.median).toBe(usd(55));
    expect(r.tierOfPerson).toEqual([
      'none',
      'none',
      'light',
      'light',
      'moderate',
      'moderate',
      'moderate',
      'extreme',
    ]);
    expect(r.tiers.map((t) => [t.tier, t.people, t.spend])).toEqual([
      ['none', 2, 0n],
      ['light', 2, usd(30)],
      ['moderate', 3, usd(180)],
      ['extreme', 1, usd(5000)],
    ]);
    const moderate = r.tiers[2]!;
    expect(moderate.spendPerPerson).toBe(usd(60));
    expect(moderate.costPerShipped).toBe(usd(180) / 33n); // $5.454545… exact to the pico-dollar
    expect(moderate.shippedPerPersonWeek).toBeCloseTo(33 / 3 / 2, 12);
    const extreme = r.tiers[3]!;
    expect(extreme.revertRate).toBe(3 / 16);
    expect(extreme.reworkRate).toBe(600 / 1300);
    expect(r.tiers[0]!.costPerShipped).toBe(0n);
    expect(r.tiers.reduce((s, t) => s + t.spendShare, 0)).toBeCloseTo(1, 5);
  });

  it('each step says how many more shipped changes go with $100 more, with an interval where people allow', () => {
    expect(r.steps.map((s) => `${s.from}→${s.to}`)).toEqual([
      'none→light',
      'light→moderate',
      'moderate→extreme',
    ]);
    const [, lightToModerate, toExtreme] = r.steps;
    // (11 − 6) shipped more for ($60 − $15) more: 11.11 per $100.
    expect(lightToModerate!.shippedPer100Usd).toBeCloseTo((5 / 45) * 100, 9);
    expect(lightToModerate!.extraSpendPerPersonWeek).toBe(usd(22.5));
    expect(toExtreme!.shippedPer100Usd).toBeCloseTo((2 / 4940) * 100, 9);
    // Two and three people, one: too few for an interval.
    expect(r.steps.map((s) => s.interval)).toEqual([null, null, null]);
  });

  it('gives a 90% interval from five people on each side, around the step, the same every time', () => {
    // The median is $12.50: light under $6.25, moderate up to $25.
    const light = [1, 2, 3, 4, 5].map((x, i) => person(`l${i}`, x, 4 + i));
    const moderate = [20, 21, 22, 23, 24].map((x, i) => person(`m${i}`, x, 8 + (i % 3)));
    const step = tierReport([...light, ...moderate], 1).steps[0]!;
    expect(step).toMatchObject({ from: 'light', to: 'moderate' });
    const [lo, hi] = step.interval!;
    expect(lo).toBeLessThan(step.shippedPer100Usd);
    expect(hi).toBeGreaterThan(step.shippedPer100Usd);
    expect(tierReport([...light, ...moderate], 1).steps[0]!.interval).toEqual([lo, hi]);
    // One person fewer on a side: none.
    expect(tierReport([...light.slice(1), ...moderate], 1).steps[0]!.interval).toBeNull();
  });
});
