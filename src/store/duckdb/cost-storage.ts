import type { UsageEvent } from '../../ledger/event.js';
import { costMatches } from '../../pricing/cost.js';
import type { RateCardRegistry } from './rate-cards.js';

/**
 * How an event's cost is stored: a rate-card id (0 for none) and, when the cost does not come from the rates
 * (provider cost, or parts that differ from what the rates give), the event itself as the holder of given parts.
 */
export function costStorage(
  e: UsageEvent,
  rates: RateCardRegistry,
): { rateId: number; given: UsageEvent | null } {
  if (e.cost_usd === null) return { rateId: 0, given: null };
  if (!e.rates) return { rateId: 0, given: e };
  const id = rates.idOf(e.rates);
  // Parts that are not what the rates give (a hand-edited record, a pricing bug) are kept as given, so the ledger
  // returns exactly what it was handed.
  return { rateId: id, given: costMatches(e, e, e.rates) ? null : e };
}
