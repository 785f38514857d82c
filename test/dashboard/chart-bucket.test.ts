import { describe, expect, it } from 'vitest';
import { chartBucket } from '../../web/src/chart-bucket.js';

describe("a spend chart's bars", () => {
  it('are hours for a range of two days or less, days beyond', () => {
    expect(chartBucket('24h')).toBe('hour');
    expect(chartBucket('2d')).toBe('hour');
    expect(chartBucket('7d')).toBe('day');
    expect(chartBucket('2w')).toBe('day');
  });

  it('are hours for a short range a link gives with its end, whatever the form of its ends', () => {
    expect(chartBucket('2026-11-20', '2026-11-21')).toBe('hour');
    expect(chartBucket('2026-11-20T06:00:00Z', '2026-11-21T18:00:00Z')).toBe('hour');
    expect(chartBucket('30d', '29d')).toBe('hour');
    expect(chartBucket(String(Date.UTC(2026, 10, 20)), String(Date.UTC(2026, 10, 21)))).toBe('hour');
    expect(chartBucket('2026-11-01', '2026-11-08')).toBe('day');
    expect(chartBucket('30d', '7d')).toBe('day');
    // A date long past, up to now: many days.
    expect(chartBucket('2026-11-20')).toBe('day');
  });
});
