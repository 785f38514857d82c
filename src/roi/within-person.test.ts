import { describe, expect, it } from 'vitest';
import type { GitChange } from './git-history.js';
import { SAME_NAMES } from './identities.js';
import { type Person, peopleOf, type UserSpend } from './people.js';
import { periodsOf, withinPerson } from './within-person.js';

const DAY = 86_400_000_000;
const usd = (n: number) => BigInt(n) * 1_000_000_000_000n;

describe('periods of a window', () => {
  it('cuts it into as many equal periods of at least 28 days as fit, none left over', () => {
    const p = periodsOf(0, 90 * DAY);
    expect(p).toEqual([
      { since: 0, until: 30 * DAY },
      { since: 30 * DAY, until: 60 * DAY },
      { since: 60 * DAY, until: 90 * DAY },
    ]);
    expect(periodsOf(0, 56 * DAY)).toHaveLength(2);
    expect(periodsOf(0, 55 * DAY)).toEqual([]);
  });

  it('cuts on whole days from the start, equal to the day, the last ending with the window', () => {
    const hour = DAY / 24;
    // 61 days and 5 hours: 30 days, then 31 and the hours.
    expect(periodsOf(0, 61 * DAY + 5 * hour)).toEqual([
      { since: 0, until: 30 * DAY },
      { since: 30 * DAY, until: 61 * DAY + 5 * hour },
    ]);
    // A start in the middle of a day: each cut at its time of day.
    expect(periodsOf(7 * hour, 7 * hour + 90 * DAY).map((p) => p.since)).toEqual([
      7 * hour,
      7 * hour + 30 * DAY,
      7 * hour + 60 * DAY,
    ]);
  });
});

describe('the same people across periods', () => {
  const periods = periodsOf(0, 90 * DAY);
  const shipped = (email: string, perPeriod: number[], over: Partial<GitChange> = {}): GitChange[] =>
    perPeriod.flatMap((n, i) =>
      Array.from({ length: n }, (_, k) => ({
        sha: `${email}-${i}-${k}`,
        email,
        name: email,
        ts: periods[i]!.since + (k + 1) * DAY,
        linesAdded: 1,
        linesDeleted: 0,
        reverts: null,
        reverted: false,
        branch: null,
        settledLines: 0,
        reworkedLines: 0,
        ...over,
      })),
    );
  const spendOf = (byPeriod: Record<string, number[]>): UserSpend[][] =>
    periods.map((_, i) =>
      Object.entries(byPeriod).map(([user, xs]) => ({
        user,
        cost_usd: usd(xs[i]!),
        unpriced_events: 0,
        events: 1,
      })),
    );
  const run = (changes: GitChange[], byPeriod: Record<string, number[]>) => {
    const spend = spendOf(byPeriod);
    const total = Object.entries(byPeriod).map(([user, xs]) => ({
      user,
      cost_usd: usd(xs.reduce((s, x) => s + x, 0)),
      unpriced_events: 0,
      events: 3,
    }));
    const people: Person[] = peopleOf(changes, total, SAME_NAMES, { since: 0, until: 90 * DAY }).people;
    return withinPerson(people, changes, spend, SAME_NAMES, periods);
  };

  it('compares each person with themselves, so what differs between people does not count', () => {
    // ana spends little and ships little, bo much and much; each ships one more change per $10 more of their own.
    // Across people, bo's $990 more goes with 9 more changes (0.9 per $100); within each, it is 10 per $100.
    const w = run([...shipped('ana', [1, 2, 3]), ...shipped('bo', [10, 11, 12])], {
      ana: [10, 20, 30],
      bo: [1000, 1010, 1020],
    });
    expect(w.people).toBe(2);
    expect(w.shippedPer100Usd).toBeCloseTo(10, 9);
    expect(w.interval).toBeNull(); // two people: too few for an interval
  });

  it('gives a 90% interval from five people whose spend changed', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const changes = names.flatMap((n, i) => shipped(n, [1, 2 + (i % 2), 3]));
    const w = run(changes, Object.fromEntries(names.map((n, i) => [n, [10 * i, 10 * i + 10, 10 * i + 20]])));
    expect(w.people).toBe(5);
    // Each ships one more change per $10 more of their own, one of them two in the middle period.
    expect(w.shippedPer100Usd).toBeGreaterThan(9);
    const [lo, hi] = w.interval!;
    expect(lo).toBeLessThanOrEqual(w.shippedPer100Usd!);
    expect(hi).toBeGreaterThanOrEqual(w.shippedPer100Usd!);
  });

  it('leaves out people whose spend did not change, reverted work and reverts', () => {
    const w = run(
      [
        ...shipped('ana', [1, 1, 4]),
        ...shipped('ana', [0, 3, 0], { reverted: true }),
        ...shipped('ana', [2, 0, 0], { reverts: 'x' }),
        ...shipped('cy', [0, 9, 0]),
      ],
      { ana: [0, 0, 300], cy: [50, 50, 50] },
    );
    expect(w.people).toBe(1);
    // ana: +3 shipped with +$300 in the last period → 1 per $100; one person: no interval.
    expect(w.shippedPer100Usd).toBeCloseTo(1, 9);
    expect(w.interval).toBeNull();
  });

  it("says nothing when nobody's spend changed", () => {
    const w = run(shipped('ana', [1, 2, 3]), { ana: [5, 5, 5] });
    expect(w).toMatchObject({ people: 0, shippedPer100Usd: null, interval: null });
  });
});
