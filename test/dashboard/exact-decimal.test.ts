import { describe, expect, it } from 'vitest';
import { exactDecimal, sumDecimals } from '../../web/src/format.js';

describe('a rate on the audit view', () => {
  it('keeps every digit that counts and drops the trailing zeros', () => {
    expect(exactDecimal('1.250000000000000000')).toBe('1.25');
    expect(exactDecimal('10.000000000000000000')).toBe('10');
    expect(exactDecimal('0.000000000000000001')).toBe('0.000000000000000001');
    expect(exactDecimal('300')).toBe('300');
    expect(exactDecimal('0.000000000000000000')).toBe('0');
  });
});

describe("a chart legend's amounts", () => {
  it('sums decimal strings exactly, where floats would drift', () => {
    // 0.1 + 0.2 as floats is 0.30000000000000004.
    expect(sumDecimals(['0.100000000000', '0.200000000000'])).toBe('0.300000000000');
    const tenths = Array.from({ length: 10 }, () => '0.1');
    expect(sumDecimals(tenths)).toBe('1.0');
    expect(sumDecimals(['12.5', '-0.75', '3'])).toBe('14.75');
    expect(sumDecimals(['-1.25', '0.5'])).toBe('-0.75');
    expect(sumDecimals(['123456789012.000000000001', '0.999999999999'])).toBe('123456789013.000000000000');
    expect(sumDecimals([])).toBe('0');
  });
});
