import { describe, expect, it } from 'vitest';
import { parseUsd } from '../money/money.js';
import { passesInHours, peakWindow } from './runaway.js';

const usd = parseUsd;
const MIN = 60_000;
const H = 60 * MIN;

describe('peakWindow', () => {
  const calls = [
    { ts: 0, cost: usd('1') },
    { ts: 5 * MIN, cost: usd('2') },
    { ts: 9 * MIN, cost: usd('3') },
    { ts: 10 * MIN, cost: usd('4') },
    { ts: 25 * MIN, cost: usd('1') },
  ];
  it('finds the costliest 10 minutes; a call exactly 10 minutes later starts a new window', () => {
    // Up to 9 min: 1+2+3 = 6; at 10 min the call at 0 leaves: 2+3+4 = 9; at 25 min only $1.
    expect(peakWindow(calls, 10 * MIN)).toEqual({
      first: 5 * MIN,
      last: 10 * MIN,
      spend: usd('9'),
      calls: 3,
    });
  });
  it('sums everything within a window longer than the calls', () => {
    expect(peakWindow(calls, H)).toMatchObject({ spend: usd('11'), calls: 5 });
  });
  it('is null without calls', () => expect(peakWindow([], H)).toBeNull());
});

describe('passesInHours', () => {
  const byHour = new Map([
    [0, usd('6')],
    [H, usd('6')],
    [3 * H, usd('11')],
  ]);
  it('sums consecutive hours, missing hours as zero', () => {
    expect(passesInHours(byHour, 2, usd('12'))).toBe(false);
    expect(passesInHours(byHour, 2, usd('11.99'))).toBe(true);
    expect(passesInHours(byHour, 1, usd('11'))).toBe(false);
    // Hours 1–3 (the 2 h gap counted as $0): 6 + 0 + 11.
    expect(passesInHours(byHour, 3, usd('16.99'))).toBe(true);
  });
});
