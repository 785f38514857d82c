import { describe, expect, it } from 'vitest';
import {
  formatTimestamp,
  monthBounds,
  parseEventTime,
  parseTimeBound,
  parseTimestamp,
  parseUntilBound,
  TimeError,
} from './time.js';

describe('timestamps', () => {
  it('keeps microseconds from ISO strings and round-trips them', () => {
    const us = parseTimestamp('2026-11-28T10:00:00.123456Z');
    expect(us).toBe(Date.UTC(2026, 10, 28, 10) * 1000 + 123_456);
    expect(formatTimestamp(us)).toBe('2026-11-28T10:00:00.123456Z');
  });

  it('reads zones, bare dates and epoch milliseconds', () => {
    expect(parseTimestamp('2026-11-28T12:00:00+02:00')).toBe(Date.UTC(2026, 10, 28, 10) * 1000);
    expect(parseTimestamp('2026-11-28')).toBe(Date.UTC(2026, 10, 28) * 1000);
    expect(parseTimestamp(1_764_324_000_000)).toBe(1_764_324_000_000_000);
    expect(parseTimestamp('1764324000000')).toBe(1_764_324_000_000_000);
  });

  it('rejects what is not a time, quoting it', () => {
    expect(() => parseTimestamp('yesterday')).toThrow(TimeError);
    expect(() => parseTimestamp('2026-13-01')).toThrow(/2026-13-01/);
  });

  it('rejects a day the month does not have instead of rolling into the next month', () => {
    // Date.UTC reads 2026-02-31 as March 3rd: `--until 2026-02-31` counted three days of March.
    for (const day of ['2026-02-31', '2026-02-29T10:00:00Z', '2026-04-31', '2026-00-10', '2026-02-00'])
      expect(() => parseTimestamp(day), day).toThrow(TimeError);
    expect(() => parseTimeBound('20260230', 0)).toThrow(TimeError);
    expect(parseTimestamp('2028-02-29')).toBe(Date.UTC(2028, 1, 29) * 1000);
  });

  it('reads a year below 100 as that year, not as 19xx', () => {
    // Date.UTC reads years 0-99 as 1900-1999: 0099-01-01 was taken for 1999-01-01, a real-looking time.
    const year99 = new Date(0);
    year99.setUTCFullYear(99, 0, 1);
    expect(parseTimestamp('0099-01-01T00:00:00Z')).toBe(year99.getTime() * 1000);
    expect(parseTimestamp('0099-01-01')).toBeLessThan(0);
    expect(formatTimestamp(parseTimestamp('0004-02-29T12:30:00Z'))).toBe('0004-02-29T12:30:00.000000Z');
    expect(() => parseTimestamp('0003-02-29')).toThrow(TimeError);
  });

  it('reads relative bounds back from now', () => {
    const now = Date.UTC(2026, 10, 28) * 1000;
    expect(parseTimeBound('30d', now)).toBe(Date.UTC(2026, 9, 29) * 1000);
    expect(parseTimeBound('12h', now)).toBe(Date.UTC(2026, 10, 27, 12) * 1000);
    expect(parseTimeBound('2026-11-01', now)).toBe(Date.UTC(2026, 10, 1) * 1000);
  });

  it('reads a calendar month as its first instant, so --since 2026-11 --until 2026-12 is November', () => {
    const now = Date.UTC(2026, 10, 28) * 1000;
    expect(parseTimeBound('2026-11', now)).toBe(Date.UTC(2026, 10, 1) * 1000);
    expect(parseTimeBound('2026-12', now)).toBe(Date.UTC(2026, 11, 1) * 1000);
    expect(() => parseTimeBound('2026-13', now)).toThrow('not a valid month: "2026-13"');
    // ccusage's compact dates, which as epoch milliseconds would silently mean January 1970.
    expect(parseTimeBound('20261101', now)).toBe(Date.UTC(2026, 10, 1) * 1000);
    expect(() => parseTimeBound('20261301', now)).toThrow(TimeError);
    // Data is stricter: a timestamp field of "2026-11" is an error, not a month.
    expect(() => parseTimestamp('2026-11')).toThrow(TimeError);
  });
});

describe('bounds in a time zone', () => {
  const utc = (iso: string) => Date.parse(iso) * 1000;

  it('reads a date, a month and a date-time without offset as local time, and keeps an explicit offset', () => {
    expect(parseTimeBound('2026-11-04', 0, 'Asia/Tokyo')).toBe(utc('2026-11-03T15:00:00Z'));
    expect(parseTimeBound('2026-11', 0, 'America/New_York')).toBe(utc('2026-11-01T04:00:00Z'));
    expect(parseTimeBound('2026-11-04T09:30', 0, 'Asia/Tokyo')).toBe(utc('2026-11-04T00:30:00Z'));
    expect(parseTimeBound('20261104', 0, 'Asia/Tokyo')).toBe(utc('2026-11-03T15:00:00Z'));
    expect(parseTimeBound('2026-11-04T09:30:00Z', 0, 'Asia/Tokyo')).toBe(utc('2026-11-04T09:30:00Z'));
    expect(parseTimeBound('2026-11-04T09:30:00+01:00', 0, 'Asia/Tokyo')).toBe(utc('2026-11-04T08:30:00Z'));
    // Ages and epoch milliseconds are instants: no zone moves them.
    expect(parseTimeBound('1d', 86_400_000_000, 'Asia/Tokyo')).toBe(0);
    expect(parseTimeBound('1764324000000', 0, 'Asia/Tokyo')).toBe(1_764_324_000_000_000);
  });

  it('ends a compact --until date at the next local midnight, 23 or 25 hours later across DST', () => {
    // New York springs forward on 2026-03-08 and falls back on 2026-11-01.
    expect(parseUntilBound('20260308', 0, 'America/New_York')).toBe(utc('2026-03-09T04:00:00Z'));
    expect(
      parseUntilBound('20260308', 0, 'America/New_York') - parseTimeBound('20260308', 0, 'America/New_York'),
    ).toBe(23 * 3_600_000_000);
    expect(parseUntilBound('20261101', 0, 'America/New_York')).toBe(utc('2026-11-02T05:00:00Z'));
    expect(
      parseUntilBound('20261101', 0, 'America/New_York') - parseTimeBound('20261101', 0, 'America/New_York'),
    ).toBe(25 * 3_600_000_000);
  });

  it("gives the zone's calendar month holding an instant, whole local days across DST and the year's end", () => {
    // 2026-03-31T23:30Z is already April 1st in Berlin; New York's March has a 23-hour day.
    expect(monthBounds(utc('2026-03-31T23:30:00Z'), 'Europe/Berlin')).toEqual({
      start: utc('2026-03-31T22:00:00Z'),
      end: utc('2026-04-30T22:00:00Z'),
    });
    expect(monthBounds(utc('2026-03-15T12:00:00Z'), 'America/New_York')).toEqual({
      start: utc('2026-03-01T05:00:00Z'),
      end: utc('2026-04-01T04:00:00Z'),
    });
    expect(monthBounds(utc('2026-12-31T16:00:00Z'), 'Asia/Tokyo')).toEqual({
      start: utc('2026-12-31T15:00:00Z'),
      end: utc('2027-01-31T15:00:00Z'),
    });
    expect(monthBounds(utc('2026-12-31T16:00:00Z'))).toEqual({
      start: utc('2026-12-01T00:00:00Z'),
      end: utc('2027-01-01T00:00:00Z'),
    });
  });

  it('reads bounds as UTC when no zone is given, as before', () => {
    expect(parseTimeBound('2026-11-04', 0)).toBe(utc('2026-11-04T00:00:00Z'));
    expect(parseUntilBound('20261104', 0)).toBe(utc('2026-11-05T00:00:00Z'));
  });
});

describe('event times', () => {
  it('reads ts_us as epoch µs and the ISO ts exactly, so either addresses the same event', () => {
    const us = Date.UTC(2026, 10, 28, 10) * 1000 + 123_456;
    expect(parseEventTime(String(us), 0)).toBe(us);
    expect(parseEventTime('2026-11-28T10:00:00.123456Z', 0)).toBe(us);
    // Fewer digits are epoch milliseconds, as everywhere else.
    expect(parseEventTime('1764324000000', 0)).toBe(1_764_324_000_000_000);
    expect(() => parseEventTime('99999999999999999999', 0)).toThrow(TimeError);
    expect(() => parseEventTime('soon', 0)).toThrow(TimeError);
  });
});
