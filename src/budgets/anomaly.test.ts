import { describe, expect, it } from 'vitest';
import { parseUsd } from '../money/money.js';
import { type AnomalyOptions, findAnomalies as find, type HourSpend } from './anomaly.js';

const usd = parseUsd;
// $10 and z 6, not the defaults $20 and 8, keep the hand-worked amounts small.
const findAnomalies = (
  rows: HourSpend[],
  r: { baselineFrom: number; since: number; until: number },
  o: AnomalyOptions = {},
) => find(rows, r, { minUsd: '10', threshold: 6, ...o });
const H = 3_600_000;
// Monday 2025-11-10 00:00 UTC: the baseline is that week, the hours examined are the next Monday.
const MON = Date.UTC(2025, 10, 10);
const at = (day: number, hour: number) => MON + day * 24 * H + hour * H;
const range = { baselineFrom: MON, since: at(7, 0), until: at(8, 0) };

// Baseline: team a spends $1…$5 at 10:00 Monday to Friday, $5 on Friday at 11:00, nothing at any other hour.
const baseline: HourSpend[] = [
  ...[1, 2, 3, 4, 5].map((v, d) => ({ hour: at(d, 10), value: 'a', spend: usd(String(v)) })),
  { hour: at(4, 11), value: 'a', spend: usd('5') },
];
const probe = (hour: number, spend: string, value: string | null = 'a') => [
  ...baseline,
  { hour: at(7, hour), value, spend: usd(spend) },
];

describe('findAnomalies (median and MAD of the same weekday hour)', () => {
  it('flags an hour whose robust z reaches the threshold', () => {
    // 10:00 slot: median 3, |dev| 2,1,0,1,2 → MAD 1; $12 → z = 9 / 1.4826 = 6.07.
    const [a, ...rest] = findAnomalies(probe(10, '12'), range);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ value: 'a', hour: at(7, 10), median: usd('3'), mad: usd('1'), samples: 5 });
    expect(a!.z).toBeCloseTo(9 / 1.4826, 6);
  });

  it('lets an hour just under the threshold pass', () => {
    // $11 → z = 8 / 1.4826 = 5.40.
    expect(findAnomalies(probe(10, '11'), range)).toEqual([]);
    // The default threshold is 8: $23 → z = 20 / 1.4826 = 13.5 passes, $14 → 7.4 does not.
    expect(find(probe(10, '23'), range)).toHaveLength(1);
    expect(find(probe(10, '14'), range, { minUsd: '10' })).toEqual([]);
  });

  it('falls back to the mean absolute deviation when the MAD is 0', () => {
    // 11:00 slot: 0,0,0,0,5 → median 0, MAD 0, mean |dev| 1; $10 → z = 10 / 1.253314 = 7.98.
    const [a] = findAnomalies(probe(11, '10'), range);
    expect(a!.mad).toBe(0n);
    expect(a!.z).toBeCloseTo(10 / 1.253314, 6);
  });

  it('flags spend on a flat $0 baseline with z null, but only past the minimum amount', () => {
    expect(findAnomalies(probe(3, '10'), range)).toMatchObject([{ hour: at(7, 3), z: null, median: 0n }]);
    expect(findAnomalies(probe(3, '9.99'), range)).toEqual([]);
    expect(findAnomalies(probe(3, '0.02'), range, { minUsd: '0.01' })).toHaveLength(1);
    // The default minimum is $20.
    expect(find(probe(3, '19.99'), range)).toEqual([]);
    expect(find(probe(3, '20'), range)).toHaveLength(1);
  });

  it('keeps scopes apart: a new scope has an all-zero baseline', () => {
    expect(findAnomalies(probe(10, '12', 'b'), range)).toMatchObject([{ value: 'b', z: null }]);
  });

  it('compares weekends with weekends', () => {
    // Saturday 10:00: the baseline Saturday and Sunday 10:00 spent nothing, unlike the weekdays.
    const rows = [...baseline, { hour: at(12, 10), value: 'a', spend: usd('10') }];
    const r = findAnomalies(rows, { ...range, until: at(14, 0) });
    expect(r).toMatchObject([{ hour: at(12, 10), samples: 2, z: null }]);
  });

  it('honours the threshold and ignores hours outside [since, until)', () => {
    expect(findAnomalies(probe(10, '12'), range, { threshold: 7 })).toEqual([]);
    expect(findAnomalies(probe(10, '100'), { ...range, until: at(7, 10) })).toEqual([]);
  });

  it('buckets by the hour of day and weekday in the given zone', () => {
    // Sunday 16:00 UTC is Monday 01:00 in Asia/Tokyo (UTC+9): a weekend hour in UTC, a weekday hour in Tokyo.
    const rows = [...baseline, { hour: at(13, 16), value: 'a', spend: usd('12') }];
    const r = { ...range, until: at(14, 0) };
    expect(findAnomalies(rows, r)[0]!.samples).toBe(2);
    expect(findAnomalies(rows, r, { tz: 'Asia/Tokyo' })[0]!.samples).toBe(5);
    // UTC 10:00 is Tokyo 19:00: the $1…$5 weekday peak is still one slot there.
    expect(findAnomalies(probe(10, '12'), range, { tz: 'Asia/Tokyo' })[0]!.mad).toBe(usd('1'));
  });

  it("takes the zone's hours, which start at :30 past UTC's in Asia/Kolkata (UTC+5:30)", () => {
    // The same week, every hour 30 minutes later, as a store bucketing hours in Kolkata gives them.
    const half = (rows: HourSpend[]) => rows.map((r) => ({ ...r, hour: r.hour + H / 2 }));
    const [a, ...rest] = findAnomalies(half(probe(10, '12')), range, { tz: 'Asia/Kolkata' });
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ hour: at(7, 10) + H / 2, median: usd('3'), mad: usd('1'), samples: 5 });
  });

  // A ledger begun after the baseline's weeks: `anomalies --since 30d` on a 20-day ledger, or a new deployment's
  // watchdog.
  it('takes no hour before the ledger began as a $0 hour, and compares each hour with the weeks just before it', () => {
    // From Monday (day 0) on, team a spends $30 at 10:00 every weekday for two weeks; $500 at 10:00 on day 9.
    const weekdays = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11];
    const rows = weekdays.map((d) => ({ hour: at(d, 10), value: 'a', spend: usd(d === 9 ? '500' : '30') }));
    // The whole ledger examined, with a baseline four weeks before it that the ledger never saw.
    const found = find(rows, { baselineFrom: at(-28, 0), since: at(-1, 0), until: at(14, 0) });
    // The first $30 hour has no baseline hour yet (not flagged against a "usual $0"); the others match theirs.
    expect(found).toMatchObject([{ hour: at(9, 10), median: usd('30'), samples: 7 }]);
  });
});
