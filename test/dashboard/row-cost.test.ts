import { describe, expect, it } from 'vitest';
import { rowUsd } from '../../web/src/format.js';

describe("a report row's cost on the dashboard", () => {
  it('reads "unpriced" when none of its events has a price, never "$0.00"', () => {
    expect(rowUsd({ cost_usd: '0.000000000000', events: 3, unpriced_events: 3 })).toBe('unpriced');
  });

  it('is marked when some of its events have no price, as their cost is not in it', () => {
    expect(rowUsd({ cost_usd: '12.346000000000', events: 3, unpriced_events: 1 })).toBe('$12.35*');
  });

  it('is the amount when every event is priced, a free one included', () => {
    expect(rowUsd({ cost_usd: '0.000000000000', events: 2, unpriced_events: 0 })).toBe('$0.00');
    expect(rowUsd({ cost_usd: '1234.5', events: 2, unpriced_events: 0 })).toBe('$1,234.50');
  });
});
