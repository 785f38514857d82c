import { TokenledgerError } from '../errors.js';
import { ianaTimeZone, LATEST_US } from '../ledger/time.js';

import {
  BUCKETS,
  type Bucket,
  DIMENSIONS,
  type Dimension,
  type Filter,
  isBucket,
  isDimension,
  joinedCondition,
} from '../store/query.js';
import { type LedgerOptions, nowMicros, timeOption } from './context.js';

export interface FilterOptions extends RangeOptions {
  where?: string[];
}

/** `--since`/`--until`, and `--tz`, the IANA zone their dates are read in. */
export interface RangeOptions {
  since?: string;
  until?: string;
  tz?: string;
}

/**
 * Names the CLI takes for a dimension besides its own: `key` is the virtual key, as `budgets add --scope key=vk_…`
 * and `keys list` call it, so a budget's scope can be given to `--where` as it was written.
 */
const DIMENSION_ALIASES: ReadonlyMap<string, Dimension> = new Map([['key', 'api_key_id']]);

/**
 * The dimension an alias names (`key` → api_key_id), else null. A Map, not an object: an object's lookup found
 * `constructor` or `toString` on its prototype, and the error then named a function's source as the dimension.
 */
export function dimensionAlias(name: string): Dimension | null {
  return DIMENSION_ALIASES.get(name) ?? null;
}

function parseDimension(name: string): Dimension {
  const d = dimensionAlias(name.trim()) ?? name.trim();
  if (!isDimension(d)) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `unknown dimension "${d}": use one of ${DIMENSIONS.join(', ')} or tag.KEY`,
    );
  }
  return d;
}

/** `--by`'s list. Time is not a dimension: `--by day` says to use `--bucket day`. */
export function parseDimensions(list: string | undefined): Dimension[] {
  if (!list) return [];
  return list
    .split(',')
    .filter(Boolean)
    .map((name) => {
      const d = name.trim();
      if (isBucket(d))
        throw new TokenledgerError('CLI_BAD_OPTION', `--by ${d}: time is not a dimension; use --bucket ${d}`);
      return parseDimension(d);
    });
}

/** `--where team=payments --where team=web --where user=` → team in (payments, web), user not set. */
function parseWhere(items: readonly string[] = []): Filter[] {
  const byDim = new Map<Dimension, (string | null)[]>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `--where ${JSON.stringify(item)}: expected DIM=VALUE, e.g. --where team=payments`,
      );
    const dim = parseDimension(item.slice(0, eq));
    const value = item.slice(eq + 1);
    const joined = joinedCondition(value);
    if (joined !== null)
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `--where ${JSON.stringify(item)}: one condition a --where; give ${JSON.stringify(joined.condition)} its own (--where ${dim}=${joined.value} --where ${joined.condition})`,
      );
    byDim.set(dim, [...(byDim.get(dim) ?? []), value === '' ? null : value]);
  }
  return [...byDim].map(([dimension, values]) => ({ dimension, values }));
}

/** `--format` of a command that prints a table or JSON (default table). */
export function parseTableOrJson(value: string | undefined): 'table' | 'json' {
  const format = value ?? 'table';
  if (format === 'table' || format === 'json') return format;
  throw new TokenledgerError('CLI_BAD_OPTION', `--format ${JSON.stringify(format)}: use table or json`);
}

/**
 * `--bucket` and the `--tz` whose days it counts, as a query takes them: nothing without `--bucket`. `--tz` is
 * checked either way.
 */
export function bucketOptions(o: { bucket?: string; tz?: string }): { bucket?: Bucket; timeZone?: string } {
  const bucket = parseBucket(o.bucket);
  const timeZone = parseTimeZone(o.tz);
  return bucket === undefined ? {} : { bucket, ...(timeZone === undefined ? {} : { timeZone }) };
}

export function parseBucket(value: string | undefined): Bucket | undefined {
  if (value === undefined) return undefined;
  if (!isBucket(value)) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--bucket ${JSON.stringify(value)}: use one of ${BUCKETS.join(', ')}`,
    );
  }
  return value;
}

export function parsePositiveInt(
  name: string,
  value: string | undefined,
  // Past 2^53 a number is no longer exact, and no count here gets near it.
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0 || Number(value) > max) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--${name} ${JSON.stringify(value)}: expected a whole number from 1 to ${max}`,
    );
  }
  return Number(value);
}

/** `--port`: a TCP port, 0 for any free one. */
export function parsePort(value: string | undefined): number | undefined {
  return value === undefined
    ? undefined
    : portNumber(value, `--port ${JSON.stringify(value)}: expected a port number 0-65535`);
}

/**
 * A port in decimal digits, 0-65535, else CLI_BAD_OPTION with `problem`. Number() alone read `0x1f90` as 8080, `8e3`
 * as 8000 and an empty value as 0 (any free port, or a receiver turned off): a port nobody typed.
 */
export function portNumber(text: string, problem: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new TokenledgerError('CLI_BAD_OPTION', problem);
  return Number(text);
}

/** `--tz`: an IANA zone, as the engines name it; undefined when not given (UTC). */
export function parseTimeZone(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const zone = ianaTimeZone(value);
  if (zone === null)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--tz ${JSON.stringify(value)}: not an IANA time zone; use a name like Europe/Berlin, America/New_York or UTC`,
    );
  return zone;
}

/** `--since`/`--until`, their dates and months read in the zone `--tz` names (UTC by default). */
export function parseRange(o: RangeOptions, now = nowMicros()): { since?: number; until?: number } {
  const zone = parseTimeZone(o.tz) ?? 'UTC';
  const since = inLedgerTimes('since', o.since, timeOption('since', o.since, now, zone));
  const until = inLedgerTimes('until', o.until, timeOption('until', o.until, now, zone));
  // `since` is inclusive and `until` exclusive: bounds swapped or equal select nothing, which reads as no spend.
  if (since !== undefined && until !== undefined && since >= until) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--since ${JSON.stringify(o.since)} is not before --until ${JSON.stringify(o.until)}: no time lies between them`,
    );
  }
  return { since, until };
}

/**
 * A bound past the API's last time (2200, server/api/query-input.ts) is refused as the API refuses it. Past 2255 the
 * store could only say "must be integer epoch microseconds", naming neither the option nor the date given. A --since
 * before 1970 selects from the ledger's start, as it always has here; an --until before 1970 selects nothing, which
 * would print as no spend, so it is refused like one after 2200.
 */
function inLedgerTimes(name: string, text: string | undefined, us: number | undefined): number | undefined {
  if (us === undefined || (us >= 0 && us <= LATEST_US)) return us;
  if (us < 0 && name === 'since') return 0;
  throw new TokenledgerError(
    'CLI_BAD_OPTION',
    `--${name} ${JSON.stringify(text)} is ${us < 0 ? 'before 1970' : 'after 2200'}, outside the times the ledger holds; epoch times are in milliseconds`,
  );
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `--where DIM=VALUE…` as filters, a model named as people write it (a dated name, an alias) also matching its
 * canonical id (pricing/model-filter.ts). The price catalog is loaded only when a model is named.
 */
export async function whereFilters(o: FilterOptions & LedgerOptions): Promise<Filter[]> {
  const filters = parseWhere(o.where);
  if (!filters.some((f) => f.dimension === 'model')) return filters;
  const { loadCliPricer } = await import('./pricer.js');
  const { canonicalModelFilters } = await import('../pricing/model-filter.js');
  return canonicalModelFilters(filters, await loadCliPricer(o));
}

/**
 * What a command that found nothing prints. Output of zeros reads as "no spend"; with filters it is more often a
 * value typed differently from the ledger's (a team's name, a model's id), so it says how to list the values there are.
 */
export function nothingMatched(filters: readonly Filter[]): string {
  const f = filters[0];
  if (!f) return 'No events in this range.';
  const given = filters.flatMap((x) => x.values.map((v) => `--where ${x.dimension}=${v ?? ''}`));
  return `No events in this range match ${given.join(' ')}: \`tokenledger report --by ${f.dimension}\` lists the ${f.dimension} values there are.`;
}
