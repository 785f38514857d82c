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

/** ISO-8601 (date, date-time, optional fraction and zone; no zone means UTC) or epoch milliseconds → epoch µs. */
export function parseTimestamp(value: string | number): number {
  if (typeof value === 'number') return fromEpochMs(value);
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return fromEpochMs(Number(text));
  const m = ISO.exec(text);
  if (!m)
    throw new TimeError(
      `not a timestamp: ${JSON.stringify(value)} (expected ISO-8601 or epoch milliseconds)`,
    );
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC rolls a day the month lacks into the next month (2026-02-31 is March 3rd): the day must come back.
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
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
  return (ms - zoneOffsetMinutes(zone) * 60_000) * 1000 + micros;
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

/**
 * A `--since`/`--until` value: a relative age ("30d", "12h", "2w", "3m" — months as 30 days) counted back from
 * `now`; a calendar month ("2026-11": its first instant, UTC, so `--since 2026-11 --until 2026-12` is November, as
 * an invoice is); a compact date ("20261101", as ccusage takes it); or an absolute date/time as parseTimestamp reads
 * it. Only bounds read months and compact dates: in data, "2026-11" is more likely a truncated timestamp.
 */
export function parseTimeBound(text: string, now: number): number {
  const t = text.trim();
  const m = DURATION.exec(t);
  if (m) return now - Math.round(Number(m[1]) * UNIT_DAYS[m[2] as keyof typeof UNIT_DAYS] * 86_400_000_000);
  const month = MONTH.exec(t);
  if (month) {
    const mo = Number(month[2]);
    if (mo < 1 || mo > 12) throw new TimeError(`not a valid month: ${JSON.stringify(text)}`);
    return Date.UTC(Number(month[1]), mo - 1, 1) * 1000;
  }
  const compact = COMPACT_DATE.exec(t);
  if (compact) return parseTimestamp(`${compact[1]}-${compact[2]}-${compact[3]}`);
  return parseTimestamp(t);
}

/**
 * An `--until` value: as parseTimeBound reads it, except a compact date ("20261130"), which is ccusage's syntax and
 * so keeps ccusage's meaning: its `--until` includes that day, so the bound is the next day's first instant.
 * Read as that day's first instant, `--since 20261101 --until 20261130` would silently drop November 30th.
 */
export function parseUntilBound(text: string, now: number): number {
  if (!COMPACT_DATE.test(text.trim())) return parseTimeBound(text, now);
  return parseTimeBound(text, now) + 86_400_000_000;
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
