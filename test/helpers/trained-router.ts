import { evaluateRouters } from '../../src/router/evaluate.js';
import { routerFileText } from '../../src/router/router-file.js';
import { learnableCases } from '../../src/router/synthetic.test-data.js';

/**
 * A router file as `tokenledger route train` writes it, trained on prompts whose words say which model can answer
 * them (proofs need the large model, questions do not), for a small and a large model at these USD-per-1M prices
 * (input, output) in pico-dollars. Its measured strongest model is the large one.
 */
export function trainedRouter(small: [string, bigint, bigint], large: [string, bigint, bigint]): string {
  const cases = learnableCases(3000).map((c) => ({
    ...c,
    outcomes: new Map([
      [small[0], c.outcomes.get('small')!],
      [large[0], c.outcomes.get('large')!],
    ]),
  }));
  const prices = new Map([small, large].map(([m, input, output]) => [m, { input, output }]));
  const e = evaluateRouters({ cases, models: [small[0], large[0]], skipped: [] }, prices, { targets: [1] });
  const measured = {
    trained_on: 'synthetic',
    target: 1,
    test_prompts: e.sizes.test,
    quality_share: 1,
    cheaper: 1,
    strongest: large[0],
  };
  return routerFileText(e.targets[0]!.router, measured);
}
