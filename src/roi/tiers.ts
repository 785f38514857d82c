import { divRoundHalfEven } from '../money/money.js';
import { Rng } from '../sources/demo/prng.js';
import type { Person } from './people.js';

/**
 * Usage tiers, by a person's spend against the median spender's. Relative, so the same rule reads a team of five
 * and a company of five thousand, on any prices, and never forces a share of people into a tier (a quantile split
 * would call someone "extreme" in a team where everyone spends alike).
 */
export const TIERS = ['none', 'light', 'moderate', 'heavy', 'extreme'] as const;
export type Tier = (typeof TIERS)[number];

/** none: $0; light: under half the median; moderate: up to twice it; heavy: up to ten times; extreme: beyond. */
export function tierOf(spend: bigint, median: bigint): Tier {
  if (spend <= 0n) return 'none';
  if (spend * 2n < median) return 'light';
  if (spend <= median * 2n) return 'moderate';
  if (spend <= median * 10n) return 'heavy';
  return 'extreme';
}

/** The median of the positive spends (the lower middle's and upper middle's mean, rounded half-even), 0 for none. */
export function medianSpend(spends: readonly bigint[]): bigint {
  const s = spends.filter((x) => x > 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (s.length === 0) return 0n;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : divRoundHalfEven(s[mid - 1]! + s[mid]!, 2n);
}

export interface TierStats {
  tier: Tier;
  people: number;
  /** Pico-dollars, as the three after it. */
  spend: bigint;
  spendPerPerson: bigint;
  /** Spend over shipped changes; null when there are none. */
  costPerShipped: bigint | null;
  /** The tier's share of everyone's spend (0 when nobody spent). */
  spendShare: number;
  shippedPerPersonWeek: number;
  linesAddedPerPersonWeek: number;
  /** Reworked lines over settled lines; null when none settled. */
  reworkRate: number | null;
  /** Reverted changes over changes; null when there are none. */
  revertRate: number | null;
}

/**
 * From one tier to the next one up that has people: how many more shipped changes a person makes per $100 more
 * spent, and a 90% bootstrap interval (null with fewer than INTERVAL_MIN_PEOPLE on either side). An association across
 * people, not a measured effect of spending more: docs/roi.md says how to read it.
 */
export interface TierStep {
  from: Tier;
  to: Tier;
  /** Pico-dollars per person per week. */
  extraSpendPerPersonWeek: bigint;
  extraShippedPerPersonWeek: number;
  shippedPer100Usd: number;
  interval: [number, number] | null;
}

export interface TierReport {
  /** The median positive spend the tiers are cut at, pico-dollars. */
  median: bigint;
  weeks: number;
  tiers: TierStats[];
  steps: TierStep[];
  /** Each person's tier, in the order given. */
  tierOfPerson: Tier[];
}

const RESAMPLES = 2000;

/**
 * The fewest people a bootstrap interval is drawn from (on each side of a step). Four people have 35 distinct
 * resamples, too few for a 5th and a 95th percentile to bound anything; an interval from them would read as a finding.
 */
export const INTERVAL_MIN_PEOPLE = 5;

/**
 * Pico-dollars as a float of dollars, to a millionth, for the statistics over people (slopes, means of ratios). Never
 * added back into money: every amount printed stays exact.
 */
export function statUsd(pico: bigint): number {
  return Number(pico / 1_000_000n) / 1_000_000;
}

/** Tiers, their statistics and the steps between them, over a window of `weeks` weeks. */
export function tierReport(people: readonly Person[], weeks: number): TierReport {
  const median = medianSpend(people.map((p) => p.spend));
  const tierOfPerson = people.map((p) => tierOf(p.spend, median));
  const total = people.reduce((s, p) => s + p.spend, 0n);
  const members = TIERS.map((t) => people.filter((_, i) => tierOfPerson[i] === t));
  const tiers = TIERS.map((tier, i) => statsOf(tier, members[i]!, total, weeks)).filter((t) => t.people > 0);
  const steps: TierStep[] = [];
  for (let i = 1; i < tiers.length; i++) {
    const from = tiers[i - 1]!;
    const to = tiers[i]!;
    const a = members[TIERS.indexOf(from.tier)]!;
    const b = members[TIERS.indexOf(to.tier)]!;
    steps.push({
      from: from.tier,
      to: to.tier,
      extraSpendPerPersonWeek: perWeek(to.spendPerPerson - from.spendPerPerson, weeks),
      extraShippedPerPersonWeek: to.shippedPerPersonWeek - from.shippedPerPersonWeek,
      shippedPer100Usd: perHundred(a, b),
      interval: a.length < INTERVAL_MIN_PEOPLE || b.length < INTERVAL_MIN_PEOPLE ? null : bootstrap(a, b, i),
    });
  }
  return { median, weeks, tiers, steps, tierOfPerson };
}

function statsOf(tier: Tier, ps: readonly Person[], total: bigint, weeks: number): TierStats {
  const sum = (f: (p: Person) => number) => ps.reduce((s, p) => s + f(p), 0);
  const spend = ps.reduce((s, p) => s + p.spend, 0n);
  const shipped = sum((p) => p.shipped);
  const changes = sum((p) => p.changes);
  const settled = sum((p) => p.settledLines);
  const n = ps.length;
  return {
    tier,
    people: n,
    spend,
    spendPerPerson: n === 0 ? 0n : divRoundHalfEven(spend, BigInt(n)),
    costPerShipped: shipped === 0 ? null : divRoundHalfEven(spend, BigInt(shipped)),
    spendShare: total === 0n ? 0 : Number((spend * 1_000_000n) / total) / 1_000_000,
    shippedPerPersonWeek: n === 0 ? 0 : shipped / n / weeks,
    linesAddedPerPersonWeek: n === 0 ? 0 : sum((p) => p.linesAdded) / n / weeks,
    reworkRate: settled === 0 ? null : sum((p) => p.reworkedLines) / settled,
    revertRate: changes === 0 ? null : sum((p) => p.reverted) / changes,
  };
}

function perWeek(pico: bigint, weeks: number): bigint {
  // Weeks are a float (a window need not be whole weeks); a millionth of a week is far below a cent's worth.
  return divRoundHalfEven(pico * 1_000_000n, BigInt(Math.round(weeks * 1_000_000)));
}

/** Extra shipped changes per extra $100, between the two groups' means. */
function perHundred(a: readonly Person[], b: readonly Person[]): number {
  const mean = (ps: readonly Person[], f: (p: Person) => number) =>
    ps.reduce((s, p) => s + f(p), 0) / ps.length;
  const usd = (p: Person) => statUsd(p.spend);
  const extraUsd = mean(b, usd) - mean(a, usd);
  return (mean(b, (p) => p.shipped) - mean(a, (p) => p.shipped)) / (extraUsd / 100);
}

/** 5th and 95th percentiles of perHundred over people resampled within each tier (seeded: same data, same result). */
function bootstrap(a: readonly Person[], b: readonly Person[], seed: number): [number, number] {
  const rng = new Rng(seed);
  const draw = (ps: readonly Person[]) => ps.map(() => ps[Math.floor(rng.next() * ps.length)]!);
  const values = Array.from({ length: RESAMPLES }, () => perHundred(draw(a), draw(b))).sort((x, y) => x - y);
  return [values[Math.floor(0.05 * (RESAMPLES - 1))]!, values[Math.ceil(0.95 * (RESAMPLES - 1))]!];
}
