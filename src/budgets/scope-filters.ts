import type { Pricer } from '../pricing/pricer.js';
import type { Filter } from '../store/query.js';
import type { Budget } from './budget.js';

/**
 * A budget's scope as store filters: an AND of dimension = value. The ledger holds canonical model ids, so with a
 * pricer a `model` scope also matches the canonical id its name resolves to (`gpt-4o-2024-08-06` → `gpt-4o`).
 */
export function scopeFilters(scope: Budget['scope'], pricer: Pricer | null): Filter[] {
  return Object.entries(scope).map(([dim, value]) => {
    if (dim !== 'model' || pricer === null) return { dimension: dim as Filter['dimension'], values: [value] };
    const canonical = pricer.resolve(value, scope.provider ?? null)?.model;
    return { dimension: 'model', values: canonical && canonical !== value ? [value, canonical] : [value] };
  });
}
