/** Turns validated query parameters into the store's query model; every problem is a 400 naming the parameter. */
import { ianaTimeZone, LATEST_US, parseTimeBound, parseUntilBound } from '../../ledger/time.js';
import { canonicalModelFilters } from '../../pricing/model-filter.js';
import type { Pricer } from '../../pricing/pricer.js';
import {
  DIMENSIONS,
  type Dimension,
  type Filter,
  isBucket,
  isDimension,
  joinedCondition,
} from '../../store/query.js';
import { badParam } from './api-error.js';
import { type Principal, scopeFilters } from './scope.js';

const DEFAULT_RANGE_US = 30 * 86_400_000_000;

export interface Range {
  since: number;
  until: number;
}

export function parseTime(name: string, value: string, now: number, zone = 'UTC'): number {
  // `until` as the CLI reads it: a compact date (ccusage's 20261130) includes that day.
  const read = (z: string) =>
    name === 'until' ? parseUntilBound(value, now, z) : parseTimeBound(value, now, z);
  let us: number;
  try {
    us = read(zone);
  } catch {
    throw badParam(
      name,
      `${JSON.stringify(value)} is not a time; use an age like 30d, 12h, 2w, a month like 2026-11 or a date like 2026-11-01`,
    );
  }
  return checkInRange(
    name,
    value,
    atLedgerEdge(us, () => read('UTC')),
  );
}

/**
 * A time that is past the ledger's first or last instant (the UTC epoch, 2200-01-01T00:00Z) only because it is read
 * on a zone's clocks, as `since=1970-01-01&tz=Asia/Tokyo` (15:00Z the day before), is that instant: the ledger holds
 * nothing beyond it, so the answer is the one asked for, where a 400 saying 1970-01-01 "is before 1970" was false.
 * What lies outside on UTC's clocks too (1969-12-31, an epoch time) is still refused.
 */
function atLedgerEdge(us: number, inUtc: () => number): number {
  if (us < 0 && inUtc() >= 0) return 0;
  if (us > LATEST_US && inUtc() <= LATEST_US) return LATEST_US;
  return us;
}

export function checkInRange(name: string, value: string, us: number): number {
  if (us >= 0 && us <= LATEST_US) return us;
  throw badParam(
    name,
    `${JSON.stringify(value)} is ${us < 0 ? 'before 1970' : 'after 2200'}, outside the times the ledger holds; epoch times are in milliseconds (ts_us in microseconds)`,
  );
}

/** `tz`: the IANA zone as the engines name it ("asia/tokyo" → "Asia/Tokyo"); UTC when not given. */
export function parseZone(value: string | undefined): string {
  if (value === undefined) return 'UTC';
  const zone = ianaTimeZone(value);
  if (zone === null)
    throw badParam(
      'tz',
      `${JSON.stringify(value)} is not an IANA time zone; use a name like Europe/Berlin, America/New_York or UTC`,
    );
  return zone;
}

/** Default: the last 30 days up to now. Dates and months are read on the clocks of `tz` (UTC by default). */
export function parseRange(
  p: { since?: string | undefined; until?: string | undefined; tz?: string | undefined },
  now: number,
): Range {
  const zone = parseZone(p.tz);
  const until = p.until === undefined ? now : parseTime('until', p.until, now, zone);
  const since = p.since === undefined ? until - DEFAULT_RANGE_US : parseTime('since', p.since, now, zone);
  if (since >= until)
    throw badParam('since', `must be before until (${p.since ?? '30d'} ≥ ${p.until ?? 'now'})`);
  return { since, until };
}

export function parseDimension(name: string, value: string): Dimension {
  const d = value.trim();
  if (!isDimension(d))
    throw badParam(
      name,
      `unknown dimension ${JSON.stringify(d)}; use one of ${DIMENSIONS.join(', ')} or tag.KEY`,
    );
  return d;
}

export function parseDims(value: string | undefined, max: number, fallback: Dimension[] = []): Dimension[] {
  if (value === undefined || value.trim() === '') return fallback;
  const list = value.split(',').map((d) => {
    // Time is its own parameter: `dims=day` says so instead of listing every dimension.
    const name = d.trim();
    if (isBucket(name))
      throw badParam('dims', `${JSON.stringify(name)} is time, not a dimension; use bucket=${name}`);
    return parseDimension('dims', d);
  });
  if (list.length > max) throw badParam('dims', `at most ${max} dimensions, got ${list.length}`);
  if (new Set(list).size !== list.length) throw badParam('dims', 'a dimension is repeated');
  return list;
}

/**
 * `where=team=web&where=team=mobile&where=user=` → team in (web, mobile), user not set. With the server's pricer, a
 * model named as people write it (dated, an alias) also matches its canonical id (pricing/model-filter.ts).
 */
function parseWhere(
  items: readonly string[] | undefined,
  pricer: Pick<Pricer, 'resolve'> | null = null,
): Filter[] {
  const byDim = new Map<Dimension, (string | null)[]>();
  for (const item of items ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw badParam('where', `${JSON.stringify(item)} is not DIM=VALUE, e.g. where=team=payments`);
    const dim = parseDimension('where', item.slice(0, eq));
    const value = item.slice(eq + 1);
    const joined = joinedCondition(value);
    if (joined !== null)
      throw badParam(
        'where',
        `${JSON.stringify(item)} holds two conditions; give ${JSON.stringify(joined.condition)} its own (where=${dim}=${joined.value}&where=${joined.condition})`,
      );
    byDim.set(dim, [...(byDim.get(dim) ?? []), value === '' ? null : value]);
  }
  const filters = [...byDim].map(([dimension, values]) => ({ dimension, values }));
  return pricer === null ? filters : canonicalModelFilters(filters, pricer);
}

/** What a data endpoint filters on: the caller's `where` (models matched as parseWhere says), within its scope. */
export function requestFilters(
  where: readonly string[] | undefined,
  pricer: Pick<Pricer, 'resolve'> | null,
  who: Principal,
): Filter[] {
  return scopeFilters(parseWhere(where, pricer), who);
}
