import type { UsageEvent } from '../../ledger/event.js';
import { costMatches } from '../../pricing/cost.js';
import type { RateCardRegistry } from './rate-cards.js';

/**
 * How an event's cost is stored: a rate-card id (0 for none) and, when the cost does not come from the rates
 * (provider cost, or parts that differ from what the rates give), the event itself as the holder of given parts.
 * `cardsChecked`: the event's card, when it has one, is known to give exactly its parts (see CardsChecked).
 */
export function costStorage(
  e: UsageEvent,
  rates: RateCardRegistry,
  cardsChecked: boolean,
): { rateId: number; given: UsageEvent | null } {
  if (e.cost_usd === null) return { rateId: 0, given: null };
  if (!e.rates) return { rateId: 0, given: e };
  const id = rates.idOf(e.rates);
  // Parts that are not what the rates give (a hand-edited record, a pricing bug) are kept as given, so the ledger
  // returns exactly what it was handed.
  return { rateId: id, given: cardsChecked || costMatches(e, e, e.rates) ? null : e };
}

/**
 * Whether a batch's events come straight from the ledger's pricer (pricing/pricer.ts), which attaches a rate card
 * only to parts it computed from that card or checked against it (an exported cost coming back). Their parts then
 * need no second check: it was ~0.5 s of each parse worker's ~13 s in a 1M-event import. Anything else a store is
 * handed is checked.
 */
export type CardsChecked = boolean;
