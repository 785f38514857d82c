import type { UsageEvent } from '../ledger/event.js';
import { MONEY_MEASURES } from './query.js';
import type { RepriceSummary } from './store.js';

export function emptyRepriceSummary(): RepriceSummary {
  return { examined: 0, changed: 0, old_cost_usd: 0n, new_cost_usd: 0n, old_unpriced: 0, new_unpriced: 0 };
}

/**
 * Counts one examined event into `summary` and says whether the reprice changes it. An event whose cost comes out
 * the same is left alone, old price_version included: that version still describes exactly how its cost was
 * computed, and a reprice after every overrides edit would otherwise rewrite (and audit) the whole ledger for
 * nothing. One priced under another model (an unpriced name an override now names) changes model and provider too:
 * kept under the old name, reports by model and the model's next `reprice --model` missed it.
 */
export function tallyReprice(summary: RepriceSummary, before: UsageEvent, after: UsageEvent): boolean {
  summary.examined++;
  if (before.cost_usd === null) summary.old_unpriced++;
  else summary.old_cost_usd += before.cost_usd;
  if (after.cost_usd === null) summary.new_unpriced++;
  else summary.new_cost_usd += after.cost_usd;
  const changed =
    before.cost_source !== after.cost_source ||
    before.model !== after.model ||
    before.provider !== after.provider ||
    MONEY_MEASURES.some((m) => before[m] !== after[m]);
  if (changed) summary.changed++;
  return changed;
}
