import { describe, expect, it } from 'vitest';
import { loadBundledCatalog } from '../pricing/bundled-catalog.js';
import { createPricer } from '../pricing/pricer.js';
import { unpricedEvent } from '../pricing/unpriced-event.js';
import { priciestModel, SavingsTally } from './savings.js';

const pricer = createPricer(await loadBundledCatalog(), null);
const price = pricer.price.bind(pricer);
let calls = 0;
/** A call of 1M input and 100k output tokens that `route` sent to `model`, priced as the ledger prices it. */
const routed = (route: string | null, model: string) =>
  price(
    unpricedEvent({
      event_id: `e${++calls}`,
      provider: 'openai',
      model,
      route_id: route,
      input_tokens: 1_000_000,
      output_tokens: 100_000,
    }),
  );
const USD = 1_000_000_000_000n;

describe('SavingsTally', () => {
  it('sums what routed calls cost and what they would have cost as the compared model, by router and model', () => {
    const t = new SavingsTally((r) => (r === 'auto' ? 'gpt-4o' : null), price);
    for (const e of [routed('auto', 'gpt-4o-mini'), routed('auto', 'gpt-4o-mini'), routed('auto', 'gpt-4o')])
      t.add(e);
    t.add(routed(null, 'gpt-4o-mini')); // not routed: not counted
    // gpt-4o: $2.50 a 1M input, $10 a 1M output; gpt-4o-mini: $0.15 and $0.60.
    const large = (USD * 25n) / 10n + USD;
    const small = (USD * 15n) / 100n + (USD * 6n) / 100n;
    expect(t.result()).toEqual([
      {
        router: 'auto',
        versus: 'gpt-4o',
        versus_inferred: false,
        calls: 3,
        cost_usd: 2n * small + large,
        versus_cost_usd: 3n * large,
        saved_usd: 2n * (large - small),
        unpriced: 0,
        models: [
          { model: 'gpt-4o', calls: 1, cost_usd: large, versus_cost_usd: large },
          { model: 'gpt-4o-mini', calls: 2, cost_usd: 2n * small, versus_cost_usd: 2n * large },
        ],
      },
    ]);
  });

  it('saves a negative amount when the routed models cost more than the one compared with', () => {
    const t = new SavingsTally(() => 'gpt-4o-mini', price);
    t.add(routed('auto', 'gpt-4o'));
    expect(t.result()[0]!.saved_usd).toBeLessThan(0n);
  });

  it('leaves out, and counts, calls with no price as they ran or as the compared model: unknown, not $0', () => {
    const t = new SavingsTally((r) => (r === 'known' ? 'no-such-model-anywhere' : null), price);
    t.add(routed('auto', 'gpt-4o'));
    t.add(routed('known', 'gpt-4o'));
    const t2 = new SavingsTally(() => 'gpt-4o', price);
    t2.add(routed('auto', 'a-model-with-no-price'));
    t2.add(routed('auto', 'gpt-4o'));
    expect(t.result().map((r) => [r.router, r.versus, r.calls, r.unpriced, r.cost_usd])).toEqual([
      ['auto', null, 0, 1, 0n],
      ['known', 'no-such-model-anywhere', 0, 1, 0n],
    ]);
    expect(t2.result().map((r) => [r.calls, r.unpriced])).toEqual([[1, 1]]);
  });
});

describe('priciestModel', () => {
  const at = Date.parse('2026-01-01') * 1000;

  it('is the model with the highest list rate for input plus output, whatever order the models come in', () => {
    // claude-opus-4-1 $15 + $75, claude-sonnet-4-5 $3 + $15, claude-haiku-4-5 $1 + $5 per 1M tokens.
    expect(priciestModel(pricer, ['claude-haiku-4-5', 'claude-opus-4-1', 'claude-sonnet-4-5'], at)).toBe(
      'claude-opus-4-1',
    );
    expect(priciestModel(pricer, ['gpt-4o', 'gpt-4o-mini'], at)).toBe('gpt-4o');
    expect(priciestModel(pricer, ['gpt-4o-mini', 'gpt-4o'], at)).toBe('gpt-4o');
  });

  it('passes over models with no price, and is null where none has one', () => {
    expect(priciestModel(pricer, ['a-model-with-no-price', 'gpt-4o-mini'], at)).toBe('gpt-4o-mini');
    expect(priciestModel(pricer, ['a-model-with-no-price'], at)).toBeNull();
    expect(priciestModel(pricer, [], at)).toBeNull();
  });
});
