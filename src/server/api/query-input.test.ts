import { describe, expect, it } from 'vitest';
import { parseRange } from './query-input.js';

describe('parseRange (the API, and the CLI commands that ask it: runaways, anomalies)', () => {
  const now = Date.UTC(2026, 10, 28) * 1000;

  it('reads a compact --until date as the CLI does, including that day (ccusage syntax, ccusage meaning)', () => {
    expect(parseRange({ since: '20261101', until: '20261130' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 11, 1) * 1000,
    });
    expect(parseRange({ since: '2026-11-01', until: '2026-11-30' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 10, 30) * 1000,
    });
  });

  it("takes the first day of 1970 and the last of 2199 on any clock, as the ledger's first and last times", () => {
    // Midnight of 1970-01-01 in Tokyo is 15:00Z the day before: nothing is lost by starting at the epoch, and the
    // date is not "before 1970" where the caller lives.
    expect(parseRange({ since: '1970-01-01', until: '1970-01-02', tz: 'Asia/Tokyo' }, now)).toEqual({
      since: 0,
      until: Date.UTC(1970, 0, 1, 15) * 1000,
    });
    expect(parseRange({ since: '1970-01', until: '1970-01-02', tz: 'Asia/Kolkata' }, now).since).toBe(0);
    // In New York, the end of 2199-12-31 is five hours past 2200-01-01T00:00Z, where the ledger's times end.
    expect(parseRange({ since: '2199-12-31', until: '21991231', tz: 'America/New_York' }, now)).toEqual({
      since: Date.UTC(2199, 11, 31, 5) * 1000,
      until: Date.UTC(2200, 0, 1) * 1000,
    });
  });

  it('still refuses a time before 1970 or after 2200 wherever it is read, naming it', () => {
    expect(() => parseRange({ since: '1969-12-31', tz: 'Asia/Tokyo' }, now)).toThrow(
      /parameter "since": "1969-12-31" is before 1970/,
    );
    expect(() => parseRange({ since: '-99999999999999', tz: 'Asia/Tokyo' }, now)).toThrow(/before 1970/);
    expect(() => parseRange({ since: '2026-01-01', until: '2200-01-02', tz: 'Asia/Tokyo' }, now)).toThrow(
      /parameter "until": "2200-01-02" is after 2200/,
    );
  });
});
