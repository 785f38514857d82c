import { describe, expect, it } from 'vitest';
import { percentOfLimit } from '../../web/src/format.js';

// A budget acts at 100%: a page that rounds 99.96% up to "100.0%" says the limit is reached while calls still pass,
// beside a run-out date that says it is not.
describe("a budget's share of its limit on the dashboard", () => {
  it('is one decimal rounded down, so 100.0% appears only once the limit is reached', () => {
    expect(percentOfLimit(99.96)).toBe('99.9%');
    expect(percentOfLimit(99.99)).toBe('99.9%');
    expect(percentOfLimit(100)).toBe('100.0%');
    expect(percentOfLimit(57.3)).toBe('57.3%');
    expect(percentOfLimit(0.57)).toBe('0.5%');
    expect(percentOfLimit(0)).toBe('0.0%');
    expect(percentOfLimit(250.05)).toBe('250.0%');
  });
});
