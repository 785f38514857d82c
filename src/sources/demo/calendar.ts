import type { Rng } from './prng.js';

export const HOUR_US = 3_600_000_000;
export const DAY_US = 24 * HOUR_US;

/** Weekend days carry this share of a weekday's work (people still code on Sundays, just less). */
export const WEEKEND_FACTOR = 0.15;

/** Day number since 1970-01-01 (a Thursday) to weekday, 0 = Sunday. */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

export function dayFactor(day: number): number {
  return isWeekend(day) ? WEEKEND_FACTOR : 1;
}

/**
 * Local hour (fractional) at which someone starts a piece of work: a morning and an afternoon peak around a lunch
 * dip on weekdays, a flat spread on weekends; always between 07:00 and 22:00.
 */
export function workHour(rng: Rng, weekend: boolean): number {
  const h = weekend
    ? 13 + 3 * rng.normal()
    : rng.chance(0.55)
      ? 10.5 + 1.3 * rng.normal()
      : 15 + 1.6 * rng.normal();
  return h < 7 ? 7 + rng.next() : h > 22 ? 21 + rng.next() : h;
}

/** UTC hour at which the company's customers write to support: the Americas' and Europe's daytimes. */
export function customerHour(rng: Rng): number {
  const h = rng.chance(0.6) ? 17 + 3.5 * rng.normal() : 11 + 3 * rng.normal();
  return ((h % 24) + 24) % 24;
}

/** Epoch µs of local hour `hour` on UTC day `day` for someone at UTC offset `offsetMin`. */
export function localToUtc(day: number, hour: number, offsetMin: number): number {
  return day * DAY_US + Math.round(hour * HOUR_US) - offsetMin * 60_000_000;
}
