import type { Filter } from '../store/query.js';
import type { Pricer } from './pricer.js';

/**
 * Model filters as people write them. The ledger names a priced model by its canonical id (`claude-sonnet-4-5`),
 * while people copy the dated name from a console or an API response (`claude-sonnet-4-5-20250929`), or an alias
 * from their overrides, and a filter on it found nothing, silently. Each value is kept (unpriced models are stored
 * under the name they came with) and its canonical id added. `model_requested` still filters on the raw name.
 */
export function canonicalModelFilters(filters: readonly Filter[], pricer: Pick<Pricer, 'resolve'>): Filter[] {
  return filters.map((f) => {
    if (f.dimension !== 'model') return f;
    const values = f.values.flatMap((v) => {
      const canonical = v === null ? null : (pricer.resolve(v)?.model ?? null);
      return canonical === null || canonical === v ? [v] : [v, canonical];
    });
    return { ...f, values: [...new Set(values)] };
  });
}
