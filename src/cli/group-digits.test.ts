import { describe, expect, it } from 'vitest';
import { groupDigits, groupedSeconds } from './group-digits.js';

describe('groupDigits', () => {
  it('writes integers as Intl.NumberFormat en-US does', () => {
    const intl = new Intl.NumberFormat('en-US');
    const values = [
      0,
      7,
      -7,
      999,
      1000,
      -1000,
      12_345,
      999_999,
      1_000_000,
      1_410_397_173,
      2 ** 53 - 1,
      1e21,
      -(2 ** 40),
    ];
    for (let d = 1; d < 17; d++) values.push(Number('9'.repeat(d)), Number(`1${'0'.repeat(d)}`));
    for (const v of values) expect(groupDigits(v), String(v)).toBe(intl.format(v));
    expect(groupDigits(123_456_789_012_345_678_901n)).toBe(intl.format(123_456_789_012_345_678_901n));
  });

  it('leaves fractions to Intl', () => {
    expect(groupDigits(1234.5)).toBe('1,234.5');
  });
});

describe('groupedSeconds', () => {
  it('writes milliseconds as seconds to the millisecond, exactly, the seconds grouped', () => {
    expect(groupedSeconds(9000)).toBe('9.000');
    expect(groupedSeconds(100)).toBe('0.100');
    expect(groupedSeconds(3_723_507)).toBe('3,723.507');
  });
});
