import { describe, expect, it } from 'vitest';
import { parseUsd } from '../money/money.js';
import { type DaySpend, forecast } from './forecast.js';
import { dateOfDayNumber, dayNumber } from './forecast-days.js';

const usd = parseUsd;
const DAY = 86_400_000;

/** `days` days of history ending the day before `today`, spend chosen per (week index, weekday). */
function history(today: string, days: number, spend: (week: number, weekday: number) => string): DaySpend[] {
  const first = dayNumber(today) - days;
  const out: DaySpend[] = [];
  for (let i = 0; i < days; i++) {
    const n = first + i;
    out.push({ date: dateOfDayNumber(n), spend: usd(spend(Math.floor(i / 7), (((n + 4) % 7) + 7) % 7)) });
  }
  return out;
}

// Weekdays cost $10, $12, $14, $16 in the four past weeks; weekends $1.
const weekly = (w: number, d: number) => (d === 0 || d === 6 ? '1' : String(10 + 2 * w));

describe('forecast of a calendar period (UTC, weekly budget)', () => {
  // Wednesday 2025-11-19 12:00 UTC, in the week Monday 17 – Monday 24.
  const nowMs = Date.UTC(2025, 10, 19, 12);
  const window = { start: Date.UTC(2025, 10, 17), end: Date.UTC(2025, 10, 24) };
  const base = { window, tz: 'UTC', nowMs, spent: usd('30'), history: history('2025-11-19', 28, weekly) };

  it('projects each remaining day at its weekday median, today pro rata', () => {
    const f = forecast({ ...base, limit: usd('50') });
    // Wed: half of median(10,12,14,16) = 6.5; Thu, Fri 13; Sat, Sun 1.
    expect(f.days.map((d) => [d.date, d.expected])).toEqual([
      ['2025-11-19', usd('6.5')],
      ['2025-11-20', usd('13')],
      ['2025-11-21', usd('13')],
      ['2025-11-22', usd('1')],
      ['2025-11-23', usd('1')],
    ]);
    expect(f.expected).toBe(usd('64.5'));
    // P10 of 10,12,14,16 = 10.6, P90 = 15.4: low 30 + 5.3 + 2×10.6 + 2; high 30 + 7.7 + 2×15.4 + 2.
    expect(f.low).toBe(usd('58.5'));
    expect(f.high).toBe(usd('70.5'));
    expect(f.samples).toBe(4);
    expect(f.horizon).toBe(window.end);
    // Cumulative expected: 36.5 Wed, 49.5 Thu, 62.5 Fri; high: 37.7, 53.1 → Thursday.
    expect(f.run_out).toBe('2025-11-21');
    expect(f.run_out_earliest).toBe('2025-11-20');
  });

  it('does not run out when the projection stays under the limit', () => {
    const f = forecast({ ...base, limit: usd('100') });
    expect([f.run_out, f.run_out_earliest]).toEqual([null, null]);
  });

  it('has run out today when spend already reached the limit', () => {
    const f = forecast({ ...base, spent: usd('50'), limit: usd('50') });
    expect(f.run_out).toBe('2025-11-19');
  });

  it('keeps one incident day out of the typical spend (median), but widens the range', () => {
    const spiky = history('2025-11-19', 28, (w, d) => (d === 4 && w === 3 ? '500' : weekly(w, d)));
    const f = forecast({ ...base, history: spiky, limit: usd('1000') });
    const thu = f.days.find((d) => d.date === '2025-11-20')!;
    expect(thu.expected).toBe(usd('13'));
    // P90 of 10,12,14,500: 14 + 0.7 × 486.
    expect(thu.high).toBe(usd('354.2'));
  });

  it('uses only the newest `weeks` same weekdays', () => {
    const f = forecast({ ...base, limit: usd('1000'), weeks: 2 });
    // Thursdays of the last two weeks: 14 and 16.
    expect(f.days[1]!.expected).toBe(usd('15'));
    expect(f.samples).toBe(2);
  });

  it('projects nothing without history', () => {
    const f = forecast({ ...base, history: [], limit: usd('50') });
    expect([f.expected, f.low, f.high, f.samples, f.run_out]).toEqual([
      usd('30'),
      usd('30'),
      usd('30'),
      0,
      null,
    ]);
  });
});

describe('forecast across a DST change', () => {
  it('counts the 25-hour day in Europe/Berlin pro rata', () => {
    // Sunday 2025-10-26 runs 22:00 UTC (Sat) – 23:00 UTC; at 11:00 UTC 12 of its 25 hours remain.
    const nowMs = Date.UTC(2025, 9, 26, 11);
    const f = forecast({
      window: { start: Date.UTC(2025, 9, 25, 22), end: Date.UTC(2025, 9, 26, 23) },
      tz: 'Europe/Berlin',
      nowMs,
      limit: usd('100'),
      spent: usd('3'),
      history: history('2025-10-26', 28, (_w, d) => (d === 0 ? '25' : '7')),
    });
    expect(f.days).toEqual([{ date: '2025-10-26', expected: usd('12'), low: usd('12'), high: usd('12') }]);
    expect(f.expected).toBe(usd('15'));
  });
});

describe('forecast of a rolling window', () => {
  // Wednesday 2025-11-19 00:00 UTC, a rolling:2d budget; every past day cost $25.
  const nowMs = Date.UTC(2025, 10, 19);
  const input = {
    window: { start: nowMs - 2 * DAY, end: nowMs },
    tz: 'UTC',
    nowMs,
    spent: usd('40'),
    history: history('2025-11-19', 28, () => '25'),
    rolling: {
      days: 2,
      inWindow: [
        { date: '2025-11-17', spend: 0n },
        { date: '2025-11-18', spend: usd('40') },
      ],
    },
  };

  it('slides old days out as projected days come in, and reports the peak', () => {
    const f = forecast({ ...input, limit: usd('60') });
    // End of Wed: Tue 40 + Wed 25 = 65; end of Thu: Wed 25 + Thu 25 = 50.
    expect(f.expected).toBe(usd('65'));
    expect(f.horizon).toBe(nowMs + 2 * DAY);
    expect(f.run_out).toBe('2025-11-19');
  });

  it('does not run out when the peak stays under the limit', () => {
    const f = forecast({ ...input, limit: usd('70') });
    expect(f.run_out).toBeNull();
    expect(f.high).toBe(usd('65'));
  });
});
