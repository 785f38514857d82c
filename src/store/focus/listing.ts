import type { UnpricedCount } from '../store.js';
import { focusNames } from './names.js';

/** One (provider, model) pair of an export's range, with its events that have no price and their tokens. */
export interface FocusPair {
  /** '' for none: a join key cannot be NULL. */
  provider: string;
  model: string;
  unpricedEvents: number;
  unpricedTokens: number;
}

/** A pair's FOCUS names, as the export's SQL joins them to its groups (on p and m). */
export interface PairNames {
  p: string;
  m: string;
  provider_name: string;
  service_name: string;
  publisher_name: string;
}

/**
 * What a store's one read of the range's pairs gives the FOCUS export: the names to join to the rows (names.ts,
 * which no SQL could hold), and the events the rows will leave out for having no price.
 */
export function focusListing(pairs: readonly FocusPair[]): { names: PairNames[]; unpriced: UnpricedCount } {
  const unpriced = { events: 0, tokens: 0 };
  const names = pairs.map((pair) => {
    unpriced.events += pair.unpricedEvents;
    unpriced.tokens += pair.unpricedTokens;
    const n = focusNames(pair.provider === '' ? null : pair.provider, pair.model);
    return {
      p: pair.provider,
      m: pair.model,
      provider_name: n.provider,
      service_name: n.service,
      publisher_name: n.publisher,
    };
  });
  return { names, unpriced };
}
