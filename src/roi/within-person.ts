import { DAY_US } from '../ledger/time.js';
import { Rng } from '../sources/demo/prng.js';
import type { GitChange } from './git-history.js';
import type { Identities } from './identities.js';
import type { Person, UserSpend } from './people.js';
import { INTERVAL_MIN_PEOPLE, statUsd } from './tiers.js';

/** The shortest period a person's spend and work are compared over: shorter ones are mostly noise of who was away. */
export const MIN_PERIOD_DAYS = 28;
const RESAMPLES = 2000;

export interface Period {
  /** Epoch microseconds, since inclusive, until exclusive. */
  since: number;
  until: number;
}

/**
 * The window cut into periods of at least MIN_PERIOD_DAYS, as many as fit, so none is left over: equal to the day,
 * each of whole days from the window's start and the last ending with the window. Whole days, so that a window
 * starting on a UTC day reads each period's spend from the ledger's daily sums, as it must before a raw retention's
 * horizon (docs/store.md). Fewer than two fit in a window under 56 days: then there is nothing to compare within a
 * person.
 */
export function periodsOf(since: number, until: number): Period[] {
  const days = Math.floor((until - since) / DAY_US);
  const n = Math.floor(days / MIN_PERIOD_DAYS);
  if (n < 2) return [];
  const bound = (i: number) => (i === n ? until : since + Math.floor((days * i) / n) * DAY_US);
  return Array.from({ length: n }, (_, i) => ({ since: bound(i), until: bound(i + 1) }));
}

/**
 * The same people across periods: how many more shipped changes a person makes in a period they spend $100 more
 * than their own average. Comparing each person with themselves takes out what differs between people (role,
 * seniority, the kind of work), which the steps between tiers cannot. The within-person (fixed-effects) slope, with
 * a 90% interval from resampling people (their periods kept together); null when no one's spend changed.
 */
export interface WithinPerson {
  periods: Period[];
  /** People whose spend differed between periods: only they say anything here. */
  people: number;
  shippedPer100Usd: number | null;
  interval: [number, number] | null;
}

/** One person's spend (dollars as statUsd reads them) and shipped changes, period by period. */
interface Panel {
  usd: number[];
  shipped: number[];
}

export function withinPerson(
  people: readonly Person[],
  changes: readonly GitChange[],
  periodSpend: readonly (readonly UserSpend[])[],
  ids: Identities,
  periods: readonly Period[],
): WithinPerson {
  const panels = new Map<string, Panel>(
    people.map((p) => [p.person, { usd: periods.map(() => 0), shipped: periods.map(() => 0) }]),
  );
  const periodOf = (ts: number) => periods.findIndex((p) => ts >= p.since && ts < p.until);
  for (const c of changes) {
    const panel = panels.get(ids.personOfEmail(c.email));
    const i = periodOf(c.ts);
    if (panel === undefined || i < 0 || c.reverted || c.reverts !== null) continue;
    panel.shipped[i]!++;
  }
  periodSpend.forEach((rows, i) => {
    for (const s of rows) {
      const panel = s.user === null ? undefined : panels.get(ids.personOfUser(s.user));
      if (panel !== undefined) panel.usd[i]! += statUsd(s.cost_usd);
    }
  });
  const varying = [...panels.values()].filter((p) => p.usd.some((x) => x !== p.usd[0]));
  const slope = slopeOf(varying);
  return {
    periods: [...periods],
    people: varying.length,
    shippedPer100Usd: slope === null ? null : 100 * slope,
    interval: slope === null || varying.length < INTERVAL_MIN_PEOPLE ? null : bootstrap(varying),
  };
}

/** Σ x̃ỹ / Σ x̃², x̃ and ỹ each person's deviations from their own means; null when no spend varies. */
function slopeOf(panels: readonly Panel[]): number | null {
  let sxy = 0;
  let sxx = 0;
  for (const p of panels) {
    const mx = mean(p.usd);
    const my = mean(p.shipped);
    for (let i = 0; i < p.usd.length; i++) {
      sxy += (p.usd[i]! - mx) * (p.shipped[i]! - my);
      sxx += (p.usd[i]! - mx) ** 2;
    }
  }
  return sxx === 0 ? null : sxy / sxx;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** 5th and 95th percentiles of the slope per $100 over people resampled with their periods (seeded). */
function bootstrap(panels: readonly Panel[]): [number, number] {
  const rng = new Rng(1);
  const values: number[] = [];
  for (let r = 0; r < RESAMPLES; r++) {
    const s = slopeOf(panels.map(() => panels[Math.floor(rng.next() * panels.length)]!));
    if (s !== null) values.push(100 * s);
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(0.05 * (values.length - 1))]!, values[Math.ceil(0.95 * (values.length - 1))]!];
}
