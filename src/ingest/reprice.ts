import type { UsageEvent } from '../ledger/event.js';
import type { Pricer } from '../pricing/pricer.js';
import type { Repricer } from '../store/store.js';

/**
 * How `tokenledger reprice` recomputes one stored event. A cost the provider reported is the bill and stays as it
 * is; computed, estimated and unpriced events are priced again from the name the caller used (`model_requested`),
 * so a model that was unknown then and has an override now gets its price.
 */
export function repriceWith(pricer: Pricer): Repricer {
  return { version: pricer.version, price: (e) => repriceOne(pricer, e) };
}

function repriceOne(pricer: Pricer, e: UsageEvent): UsageEvent {
  if (e.cost_source === 'provider') return e;
  const {
    cost_usd: _u,
    cost_input: _i,
    cost_cache_read: _r,
    cost_cache_write: _w,
    cost_output: _o,
    cost_source: _s,
    price_version: _v,
    rates: _rates,
    ...usage
  } = e;
  const priced = pricer.price({ ...usage, model: e.model_requested ?? e.model, given_cost: null });
  // Estimated token counts (an aborted stream) stay marked as estimates whatever the new price.
  return e.cost_source === 'estimated' && priced.cost_source === 'computed'
    ? { ...priced, cost_source: 'estimated' }
    : priced;
}
