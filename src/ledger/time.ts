// tzOffset alone, not the package's index: this module is loaded by every command, and the index is ~5 ms of it.
import { tzOffset } from '@date-fns/tz/tzOffset';
import { TokenledgerError } from '../errors.js';

/**
 * Timestamps in the ledger are epoch microseconds (UTC) held in a JS number: exact up to year 2255. Date.parse
 * stops at milliseconds, so ISO fractions are read by hand to keep microseconds.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export class TimeError extends TokenledgerError {
  constructor(message: string) {
    super('LEDGER_BAD_TIME', message);
  }
}

/**
 * ISO-8601 (date, date-time, optional fraction and offset; none means the wall clock of `zone`, an IANA name, UTC
 * by default) or epoch milliseconds → epoch µs.
 */
export function parseTimestamp(value: string | number, zone = 'UTC'): number {
  if (typeof value === 'number') return fromEpochMs(value);
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return fromEpochMs(Number(text));
  const m = ISO.exec(text);
  if (!m)
    throw new TimeError(
      `not a timestamp: ${JSON.stringify(value)} (expected ISO-8601 or epoch milliseconds)`,
    );
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset] = m;
  const ms = utcMs(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC rolls a day the month lacks into the next month (2026-02-31 is March 3rd): the day must come back.
  const day = new Date(utcMs(Number(y), Number(mo) - 1, Number(d)));
  if (
    Number.isNaN(ms) ||
    Number(mo) > 12 ||
    day.getUTCMonth() !== Number(mo) - 1 ||
    day.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 60
  ) {
    throw new TimeError(`not a valid date: ${JSON.stringify(value)}`);
  }
  const micros = Number(frac.padEnd(6, '0').slice(0, 6));
  if (offset === undefined && zone !== 'UTC') return wallClockMs(ms, zone) * 1000 + micros;
  return (ms - zoneOffsetMinutes(offset) * 60_000) * 1000 + micros;
}

/** 400 Gregorian years, in ms: the calendar repeats after exactly 146,097 days. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

/**
 * Date.UTC for any year: Date.UTC reads years 0-99 as 1900-1999, which took 0099-01-01 for 1999-01-01. Such a year is
 * read 400 years on, where the calendar is the same, and brought back.
 */
function utcMs(y: number, month: number, d: number, h = 0, mi = 0, s = 0): number {
  return y < 100
    ? Date.UTC(y + 400, month, d, h, mi, s) - GREGORIAN_CYCLE_MS
    : Date.UTC(y, month, d, h, mi, s);
}

/**
 * The instant at which the clocks of `zone` read the wall time `wall` (its fields as UTC epoch ms). A time that a
 * DST change skips is read as the same time before the change (02:30 on a spring-forward day is 03:30).
 */
function wallClockMs(wall: number, zone: string): number {
  const at = (ms: number) => wall - tzOffset(zone, new Date(ms)) * 60_000;
  // The offset at an instant near the wall time, then at the instant that gives: the second is the zone's own unless
  // the wall time is one a DST change skips (no instant reads it). Then the two are read with the offsets before and
  // after the change, and the later instant is the time read with the offset before it.
  const first = at(wall);
  const second = at(first);
  return at(second) === second ? second : Math.max(first, second);
}

/**
 * The calendar month of `zone` (an IANA name) that holds the instant `us`: its first instant and the next month's,
 * epoch µs. A month is whole days of that zone, so its length is not a fixed count of hours across a DST change.
 */
export function monthBounds(us: number, zone = 'UTC'): { start: number; end: number } {
  const ms = Math.floor(us / 1000);
  const local = new Date(ms + tzOffset(zone, new Date(ms)) * 60_000);
  const first = (monthsAhead: number) => {
    const d = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + monthsAhead, 1));
    return parseTimestamp(d.toISOString().slice(0, 10), zone);
  };
  return { start: first(0), end: first(1) };
}

/**
 * `zone` as the IANA name the engines know it by ("asia/tokyo" → "Asia/Tokyo"), or null when it is none: offsets
 * ("+09:00") and POSIX rules ("JST-9") are not names, and only some engines read them.
 */
export function ianaTimeZone(zone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function fromEpochMs(ms: number): number {
  if (!Number.isFinite(ms)) throw new TimeError(`not a timestamp: ${ms}`);
  return Math.round(ms * 1000);
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
}

/** Epoch µs → ISO-8601 UTC with six fractional digits ("2026-11-28T10:00:00.123456Z"). */
export function formatTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // …T10:00:00.123Z
  const sub = String(micros - ms * 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${sub}Z`;
}

const DURATION = /^(\d+)([hdwm])$/;
const UNIT_DAYS = { h: 1 / 24, d: 1, w: 7, m: 30 } as const;

const MONTH = /^(\d{4})-(\d{2})$/;
/** ccusage's `--since 20251101`: as epoch milliseconds it would be the first day of 1970, which no one means. */
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

/** A day in epoch microseconds, the ledger's unit of time (no calendar: a UTC day). */
export const DAY_US = 86_400_000_000;

/** Epoch µs at the UTC midnight that starts `t`'s day (before 1970 too). */
export const utcDay = (t: number): number => t - (((t % DAY_US) + DAY_US) % DAY_US);

/**
 * The last time a query bound may name (the API and the CLI take 1970 to 2200). Epoch µs stay exact integers only to 2255 (parseTimestamp), and a range's
 * previous period reaches as far back again as the range is long; past these the store refused a bound the caller
 * never gave (`since` for a bad `until`) and the runaway and anomaly scans failed with a 500.
 */
export const LATEST_US = Date.UTC(2200, 0, 1) * 1000;

/**
 * A `--since`/`--until` value: a relative age ("30d", "12h", "2w", "3m" — months as 30 days) counted back from
 * `now`; a calendar month ("2026-11": its first instant, so `--since 2026-11 --until 2026-12` is November, as an
 * invoice is); a compact date ("20261101", as ccusage takes it); or an absolute date/time as parseTimestamp reads
 * it. Months, dates and times without an offset are read on the clocks of `zone` (an IANA name, UTC by default),
 * as the days of a report in that zone are. Only bounds read months and compact dates: in data, "2026-11" is more
 * likely a truncated timestamp.
 */
export function parseTimeBound(text: string, now: number, zone = 'UTC'): number {
  const t = text.trim();
  const m = DURATION.exec(t);
  if (m) return now - Math.round(Number(m[1]) * UNIT_DAYS[m[2] as keyof typeof UNIT_DAYS] * 86_400_000_000);
  const month = MONTH.exec(t);
  if (month) {
    const mo = Number(month[2]);
    if (mo < 1 || mo > 12) throw new TimeError(`not a valid month: ${JSON.stringify(text)}`);
    return parseTimestamp(`${month[1]}-${month[2]}-01`, zone);
  }
  const compact = COMPACT_DATE.exec(t);
  if (compact) return parseTimestamp(`${compact[1]}-${compact[2]}-${compact[3]}`, zone);
  return parseTimestamp(t, zone);
}

/**
 * A time ahead (`keys create --expires`): a duration ("30d", "12h", "2w", "3m" — months as 30 days) counted forward
 * from `now`, or a month, date or time as parseTimeBound reads it.
 */
export function parseTimeAhead(text: string, now: number, zone = 'UTC'): number {
  const at = parseTimeBound(text, now, zone);
  return DURATION.test(text.trim()) ? 2 * now - at : at;
}

/**
 * An `--until` value: as parseTimeBound reads it, except a compact date ("20261130"), which is ccusage's syntax and
 * so keeps ccusage's meaning: its `--until` includes that day, so the bound is the next day's first instant (in
 * `zone`: 23 or 25 hours later on a DST change day). Read as that day's first instant, `--since 20261101 --until
 * 20261130` would silently drop November 30th.
 */
export function parseUntilBound(text: string, now: number, zone = 'UTC'): number {
  const compact = COMPACT_DATE.exec(text.trim());
  if (!compact) return parseTimeBound(text, now, zone);
  parseTimeBound(text, now, zone); // A day the month does not have is an error, not the next month's.
  const next = new Date(utcMs(Number(compact[1]), Number(compact[2]) - 1, Number(compact[3]) + 1));
  return parseTimestamp(next.toISOString().slice(0, 10), zone);
}

/**
 * The time that addresses one event, as people pass it beside its id: its `ts_us` (epoch µs, as the API's events
 * list gives it), or any time parseTimeBound reads (the ISO `ts` of `events --format json`, exact to the µs). The
 * ledger is stored by time, so an id alone would mean a full scan. 15 digits or more are epoch µs: as µs that is
 * after 1973, as epoch ms after the year 33,000.
 */
export function parseEventTime(text: string, now: number): number {
  if (/^\d{15,}$/.test(text)) {
    const us = Number(text);
    if (!Number.isSafeInteger(us)) throw new TimeError(`not an event time: ${text} µs is past the year 2255`);
    return us;
  }
  return parseTimeBound(text, now);
}
