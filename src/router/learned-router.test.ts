import { describe, expect, it } from 'vitest';
import type { RoutingCase } from './dataset.js';
import { assess, fitRouter, routeOf } from './learned-router.js';
import { learnableCases } from './synthetic.test-data.js';

const outcome = (score: number, cost: bigint, outputTokens = 10) => ({ score, cost, outputTokens });
const kase = (id: string, outcomes: [string, ReturnType<typeof outcome>][]): RoutingCase => ({
  id,
  category: 'c',
  prompt: `prompt ${id}`,
  inputTokens: 3,
  outcomes: new Map(outcomes),
});

describe('fitRouter', () => {
  it('routes only among the models no other beats on both mean score and mean cost', () => {
    const cases = ['1', '2'].map((id) =>
      kase(id, [
        ['cheap', outcome(0.5, 1n)],
        ['dominated', outcome(0.4, 5n)], // worse and dearer than cheap
        ['strong', outcome(0.9, 10n)],
        ['pricey twin', outcome(0.9, 20n)], // as good as strong, dearer
      ]),
    );
    expect(
      fitRouter(cases, ['cheap', 'dominated', 'strong', 'pricey twin'], new Map()).models.map((m) => m.name),
    ).toEqual(['cheap', 'strong']);
  });
});

describe('assess', () => {
  it('expects the prompt’s tokens and the mean answer in training; without list prices, the mean cost', () => {
    const train = [
      kase('1', [
        ['a', outcome(1, 2_000_000n, 10)],
        ['b', outcome(1, 4_000_000n, 30)],
      ]),
      kase('2', [
        ['a', outcome(0, 4_000_000n, 30)],
        ['b', outcome(1, 8_000_000n, 50)],
      ]),
    ];
    // a: $1/M in, $2/M out. b has no list price: its mean training cost, $0.000006.
    const r = fitRouter(train, ['a', 'b'], new Map([['a', { input: 10n ** 12n, output: 2n * 10n ** 12n }]]));
    const { costs } = assess(r, 'x'.repeat(4000)); // 1,000 tokens
    expect(costs[0]).toBeCloseTo((1000 * 1 + 20 * 2) / 1e6, 15);
    expect(costs[1]).toBeCloseTo(6e-6, 15);
  });
});

describe('routeOf', () => {
  it('sends what only the large model answers to it, and the rest to the small one once cost counts', () => {
    const r = fitRouter(learnableCases(600), ['small', 'large'], new Map());
    expect(routeOf(r, 'write a rigorous proof about law number 9999')).toBe('large');
    // The large model costs $0.000009 more a call: at λ 10^4, 0.09 of predicted score. A question's scores differ by
    // less, a proof's by nearly 1.
    const thrifty = { ...r, lambda: 1e4 };
    expect(routeOf(thrifty, 'a short question on law 9999')).toBe('small');
    expect(routeOf(thrifty, 'write a rigorous proof about law number 9999')).toBe('large');
  });
});
