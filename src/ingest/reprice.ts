import type { UsageEvent } from '../ledger/event.js';
import { callOf, type Pricer, pricedOnlyAsUnused, withoutPrice } from '../pricing/pricer.js';
import type { Repricer } from '../store/store.js';

/**
 * How `tokenledger reprice` recomputes one stored event. A cost the provider reported is the bill and stays as it
 * is; computed, estimated and unpriced events are priced again as they were first priced: by the model that
 * answered (`model`: the canonical id a priced event was stored under, or the name an unpriced one came with, so a
 * model that was unknown then and has an override now gets its price). The name the caller asked for
 * (`model_requested`) is another model on a gateway call a router answered (OpenRouter's `openrouter/auto`, which has
 * no price) or a provider served as a dated snapshot: it is read only when the model that answered has no price.
 */
export function repriceWith(pricer: Pricer): Repricer {
  return { version: pricer.version, price: (e) => repriceOne(pricer, e) };
}

function repriceOne(pricer: Pricer, e: UsageEvent): UsageEvent {
  if (e.cost_source === 'provider') return e;
  const call = callOf(e);
  const served = pricer.price(call);
  const asked = e.model_requested;
  const priced =
    served.cost_source === 'unpriced' && asked !== null && asked !== e.model
      ? pricer.price({ ...call, model: asked })
      : served;
  if (e.cost_source === 'computed' || priced.cost_source !== 'computed') return priced;
  // An estimate of 0 tokens (a stream abandoned before usage with no text to count) whose model has no price: the
  // pricer's $0 for a call that used nothing would claim a cost the provider never reported, so it stays unknown,
  // as the gateway records it (record.ts). An unpriced event of zero usage is such an estimate: a reported zero
  // usage is priced $0 when recorded (an event recorded unpriced before that rule stays unpriced: unknown, not $0).
  if (pricedOnlyAsUnused(priced)) return withoutPrice(priced);
  // Estimated token counts (an aborted stream) stay marked as estimates whatever the new price.
  return e.cost_source === 'estimated' ? { ...priced, cost_source: 'estimated' } : priced;
}
