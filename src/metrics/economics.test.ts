import { describe, expect, it } from 'vitest';
import type { Row } from '../store/query.js';
import { cacheHitRate, cacheSavings, costPerMillion, costPerPoint, costPerRequest } from './economics.js';

const row = (o: Partial<Row>): Row =>
  ({ dims: {}, input_tokens: 0, cache_read_tokens: 0, cost_input: 0n, cost_cache_read: 0n, ...o }) as Row;

describe('the metrics at their edges', () => {
  it('have no rate without tokens or calls, rather than dividing by zero', () => {
    expect(costPerMillion(5n, 0)).toBe(0n);
    expect(costPerRequest(5n, 0)).toBe(0n);
    expect(
      cacheHitRate({
        input_tokens: 0,
        cache_read_tokens: 0,
        cache_write_5m_tokens: 0,
        cache_write_1h_tokens: 0,
      }),
    ).toBeNull();
  });

  it('truncate toward zero at the pico-dollar', () => {
    expect(costPerMillion(1n, 3)).toBe(333_333n);
    expect(costPerRequest(10n, 3)).toBe(3n);
  });

  it('count cache writes as prompt tokens that were not read from a cache', () => {
    expect(
      cacheHitRate({
        input_tokens: 10,
        cache_read_tokens: 60,
        cache_write_5m_tokens: 20,
        cache_write_1h_tokens: 10,
      }),
    ).toBe(0.6);
  });

  it('save only where an event was priced part by part and the model had an uncached input price to compare', () => {
    const priced = {
      input_tokens: 1000,
      cache_read_tokens: 10_000,
      cost_input: 3000n,
      cost_cache_read: 3000n,
    };
    expect(cacheSavings({ rows: [row({ ...priced, dims: { cost_source: 'computed' } })] })).toBe(27_000n);
    expect(cacheSavings({ rows: [row({ ...priced, dims: { cost_source: 'estimated' } })] })).toBe(27_000n);
    for (const source of ['provider', 'unpriced'])
      expect(cacheSavings({ rows: [row({ ...priced, dims: { cost_source: source } })] })).toBe(0n);
    expect(
      cacheSavings({ rows: [row({ ...priced, input_tokens: 0, dims: { cost_source: 'computed' } })] }),
    ).toBe(0n);
  });

  it('cost a point of quality exactly, fractional scores to 6 decimals, and nothing when no answer scored', () => {
    expect(costPerPoint(9_000_000n, 3)).toBe(3_000_000n); // three right answers
    expect(costPerPoint(1_000_000n, 2.5)).toBe(400_000n);
    expect(costPerPoint(1n, 1 / 3)).toBe(3n); // 0.333333 points
    expect(costPerPoint(5n, 0)).toBeNull();
  });
});
