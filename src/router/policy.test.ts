import { describe, expect, it } from 'vitest';
import type { RoutingCase } from './dataset.js';
import { bestTrade, run } from './policy.js';

const kase = (id: string, a: [number, bigint], b: [number, bigint]): RoutingCase => ({
  id,
  category: 'c',
  prompt: '',
  inputTokens: 100,
  outcomes: new Map([
    ['a', { score: a[0], cost: a[1], outputTokens: 10 }],
    ['b', { score: b[0], cost: b[1], outputTokens: 30 }],
  ]),
});

describe('bestTrade', () => {
  it('takes the best predicted score at λ 0, and the cheaper model when scores tie', () => {
    expect(bestTrade([0.6, 0.9], [0.001, 0.01], 0)).toBe(1);
    expect(bestTrade([0.9, 0.9], [0.01, 0.001], 0)).toBe(1);
  });

  it('gives up score for savings as λ grows: 0.3 of score is worth $0.009 at λ above 33.3', () => {
    expect(bestTrade([0.6, 0.9], [0.001, 0.01], 30)).toBe(1);
    expect(bestTrade([0.6, 0.9], [0.001, 0.01], 40)).toBe(0);
  });

  it('never takes a model whose cost is infinite (left out of the choice)', () => {
    expect(bestTrade([0.1, 0.9], [0.001, Number.POSITIVE_INFINITY], 0)).toBe(0);
  });
});

describe('run', () => {
  it('sums the chosen outcomes: mean score, exact cost, calls per model', () => {
    const cases = [kase('1', [1, 3n], [0, 7n]), kase('2', [0, 1_000_000_000_001n], [1, 5n])];
    const r = run('by id', (c) => (c.id === '1' ? 0 : 1), cases, ['a', 'b']);
    expect(r).toEqual({ policy: 'by id', quality: 1, points: 2, cost: 8n, calls: [1, 1] });
  });
});
