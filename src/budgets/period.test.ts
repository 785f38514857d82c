import { describe, expect, it } from 'vitest';
import type { Period } from './budget.js';
import { budgetWindow, counterId, counterKey, HOUR_MS } from './period.js';

const win = (period: Period, tz: string, iso: string) =>
  budgetWindow({ id: 'b1', scope: {}, period, tz }, Date.parse(iso));
const iso = (ms: number) => new Date(ms).toISOString();

describe('budgetWindow: calendar periods in the budget time zone', () => {
  it('daily in UTC: midnight to midnight, one key named by the start', () => {
    const w = win({ kind: 'daily' }, 'UTC', '2026-05-14T15:30:00Z');
    expect(iso(w.start)).toBe('2026-05-14T00:00:00.000Z');
    expect(iso(w.end)).toBe('2026-05-15T00:00:00.000Z');
    const id = counterId({ id: 'b1', scope: {}, period: { kind: 'daily' }, tz: 'UTC' });
    expect(w.keys).toEqual([`tl:b:${id}:2026-05-14T00:00:00.000Z`]);
    expect(w.resetsAt).toBe(w.end);
    // 8.5 hours left plus an hour of slack.
    expect(w.ttlSeconds).toBe(8.5 * 3600 + 3600);
  });

  it('daily in Europe/Berlin across spring-forward is 23 hours, across fall-back 25', () => {
    const spring = win({ kind: 'daily' }, 'Europe/Berlin', '2026-03-29T12:00:00Z');
    expect(iso(spring.start)).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(spring.end)).toBe('2026-03-29T22:00:00.000Z');
    expect((spring.end - spring.start) / HOUR_MS).toBe(23);
    const fall = win({ kind: 'daily' }, 'Europe/Berlin', '2026-10-25T12:00:00Z');
    expect(iso(fall.start)).toBe('2026-10-24T22:00:00.000Z');
    expect((fall.end - fall.start) / HOUR_MS).toBe(25);
  });

  it('daily in America/New_York: 03:00 UTC is still the previous local day', () => {
    const w = win({ kind: 'daily' }, 'America/New_York', '2026-01-10T03:00:00Z');
    expect(iso(w.start)).toBe('2026-01-09T05:00:00.000Z');
    expect(iso(w.end)).toBe('2026-01-10T05:00:00.000Z');
  });

  it('weekly starts on ISO Monday, in the zone', () => {
    // Sunday 2026-05-17 23:30 UTC is Monday 01:30 in Berlin: a new week there, the old one in UTC.
    const berlin = win({ kind: 'weekly' }, 'Europe/Berlin', '2026-05-17T23:30:00Z');
    expect(iso(berlin.start)).toBe('2026-05-17T22:00:00.000Z');
    expect(iso(berlin.end)).toBe('2026-05-24T22:00:00.000Z');
    const utc = win({ kind: 'weekly' }, 'UTC', '2026-05-17T23:30:00Z');
    expect(iso(utc.start)).toBe('2026-05-11T00:00:00.000Z');
    expect(iso(utc.end)).toBe('2026-05-18T00:00:00.000Z');
  });

  it('weekly across a DST change is 7 local days (167 hours)', () => {
    const w = win({ kind: 'weekly' }, 'Europe/Berlin', '2026-03-25T12:00:00Z');
    expect(iso(w.start)).toBe('2026-03-22T23:00:00.000Z');
    expect((w.end - w.start) / HOUR_MS).toBe(167);
  });

  it('monthly handles month ends, leap February and the year end', () => {
    const feb = win({ kind: 'monthly' }, 'UTC', '2028-02-29T23:59:59Z');
    expect(iso(feb.start)).toBe('2028-02-01T00:00:00.000Z');
    expect(iso(feb.end)).toBe('2028-03-01T00:00:00.000Z');
    const jan31 = win({ kind: 'monthly' }, 'UTC', '2026-01-31T10:00:00Z');
    expect(iso(jan31.end)).toBe('2026-02-01T00:00:00.000Z');
    const dec = win({ kind: 'monthly' }, 'Asia/Tokyo', '2026-12-31T16:00:00Z');
    // 01:00 on 1 January in Tokyo: already January there.
    expect(iso(dec.start)).toBe('2026-12-31T15:00:00.000Z');
    expect(iso(dec.end)).toBe('2027-01-31T15:00:00.000Z');
  });
});

describe('budgetWindow: rolling periods', () => {
  it('rolling:1d is 24 hourly keys, newest first, ending with the current hour', () => {
    const now = Date.parse('2026-05-14T15:30:00Z');
    const r = { id: 'r', scope: {}, period: { kind: 'rolling', days: 1 }, tz: 'UTC' } as const;
    const w = budgetWindow(r, now);
    expect(w.keys).toHaveLength(24);
    expect(w.keys[0]).toBe(counterKey(counterId(r), Date.parse('2026-05-14T15:00:00Z')));
    expect(w.keys[23]).toBe(`tl:b:${counterId(r)}:2026-05-13T16:00:00.000Z`);
    expect(iso(w.start)).toBe('2026-05-13T16:00:00.000Z');
    expect(iso(w.end)).toBe('2026-05-14T16:00:00.000Z');
    // The window moves on at 16:00, when the 16:00 hour of yesterday leaves it.
    expect(iso(w.resetsAt)).toBe('2026-05-14T16:00:00.000Z');
    // The 15:00 bucket leaves the window at 15:00 tomorrow: 23.5 h, plus an hour of slack.
    expect(w.ttlSeconds).toBe(23.5 * 3600 + 3600);
  });

  it('rolling:7d has 168 distinct keys', () => {
    const w = budgetWindow(
      { id: 'r', scope: {}, period: { kind: 'rolling', days: 7 }, tz: 'UTC' },
      Date.parse('2026-05-14T00:00:00Z'),
    );
    expect(new Set(w.keys).size).toBe(168);
  });
});

describe('counterId', () => {
  it('changes with what decides the spend counted (scope, period, zone), whatever the order of the scope', () => {
    const b = {
      id: 'b1',
      scope: { team: 'web', project: 'x' },
      period: { kind: 'daily' },
      tz: 'UTC',
    } as const;
    expect(counterId(b)).toMatch(/^b1:[0-9a-f]{8}$/);
    expect(counterId({ ...b, scope: { project: 'x', team: 'web' } })).toBe(counterId(b));
    const changed = [
      { ...b, scope: { team: 'web' } },
      { ...b, period: { kind: 'weekly' } as const },
      { ...b, tz: 'Europe/Berlin' },
    ];
    expect(new Set([b, ...changed].map(counterId)).size).toBe(4);
  });
});
