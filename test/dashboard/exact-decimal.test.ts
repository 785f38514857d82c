import { describe, expect, it } from 'vitest';
import { exactDecimal } from '../../web/src/format.js';

describe('a rate on the audit view', () => {
  it('keeps every digit that counts and drops the trailing zeros', () => {
    expect(exactDecimal('1.250000000000000000')).toBe('1.25');
    expect(exactDecimal('10.000000000000000000')).toBe('10');
    expect(exactDecimal('0.000000000000000001')).toBe('0.000000000000000001');
    expect(exactDecimal('300')).toBe('300');
    expect(exactDecimal('0.000000000000000000')).toBe('0');
  });
});
