import { describe, expect, it } from 'vitest';
import { fitRouter, routeOf } from './learned-router.js';
import { parseRouterFile, routerFileText } from './router-file.js';
import { learnableCases } from './synthetic.test-data.js';

const measured = {
  trained_on: 'x.jsonl',
  target: 0.95,
  test_prompts: 10,
  quality_share: 0.96,
  cheaper: 2.5,
  strongest: 'large',
};
const router = {
  ...fitRouter(
    learnableCases(300),
    ['small', 'large'],
    new Map([['large', { input: 2_500_000_000_000n, output: 10n ** 13n }]]),
  ),
  lambda: 1e4,
};

describe('router files', () => {
  it('read back as the router written: weights, prices, trade-off, and the same choices', () => {
    const text = routerFileText(router, measured);
    const back = parseRouterFile(text, 'r.json');
    expect(back.measured).toEqual(measured);
    expect(back.router.lambda).toBe(1e4);
    expect(back.router.models.map((m) => [m.name, m.price, m.meanOutputTokens, m.meanCostUsd])).toEqual(
      router.models.map((m) => [m.name, m.price, m.meanOutputTokens, m.meanCostUsd]),
    );
    expect(back.router.models[1]!.price).toEqual({ input: 2_500_000_000_000n, output: 10n ** 13n });
    for (let i = 0; i < 2; i++)
      expect(
        Buffer.from(back.router.models[i]!.weights.buffer).equals(
          Buffer.from(router.models[i]!.weights.buffer),
        ),
      ).toBe(true);
    for (const p of ['write a rigorous proof about law number 5', 'a short question on law 5'])
      expect(routeOf(back.router, p)).toBe(routeOf(router, p));
    // Prices as the decimals they are: "2.5", not a float's expansion.
    expect(JSON.parse(text).models[1].input_per_mtok).toBe('2.5');
  });

  it('refuses a file that is not a router, naming the file and the field', () => {
    const bad = (text: string) => () => parseRouterFile(text, 'r.json');
    const file = JSON.parse(routerFileText(router, measured));
    expect(bad('{')).toThrow(/^r\.json: not JSON/);
    expect(bad(JSON.stringify({ ...file, feature_bits: 18 }))).toThrow(
      /r\.json: feature_bits: this tokenledger reads routers of 16/,
    );
    file.models[0].weights = Buffer.alloc(12).toString('base64');
    expect(bad(JSON.stringify(file))).toThrow(
      expect.objectContaining({
        code: 'ROUTER_BAD_FILE',
        message: expect.stringMatching(/models\.0\.weights: 12 bytes/),
      }),
    );
  });
});
