import { describe, expect, it } from 'vitest';
import { usd } from '../../web/src/format.js';

describe('an amount on the dashboard', () => {
  it('is dollars and cents, rounded half to even', () => {
    expect(usd('1234.565000000000')).toBe('$1,234.56');
    expect(usd('1234.575000000000')).toBe('$1,234.58');
    expect(usd('0.000000000000')).toBe('$0.00');
  });

  it('keeps two significant digits under a cent, so a cheap call never reads as free', () => {
    expect(usd('0.004200000000')).toBe('$0.0042');
    // An embedding call of 24 tokens at $0.02 per 1M tokens.
    expect(usd('0.000000480000')).toBe('$0.00000048');
    expect(usd('0.000012350000')).toBe('$0.000012');
    expect(usd('-0.000000480000')).toBe('-$0.00000048');
    expect(usd('0.000000000001')).toBe('$0.000000000001');
  });
});
