import { describe, expect, it } from 'vitest';
import { loadBundledCatalog } from './bundled-catalog.js';
import { canonicalModelFilters } from './model-filter.js';
import { createPricer } from './pricer.js';

describe('model filters', () => {
  it('add the canonical id of a dated or aliased name, and keep names the catalog does not know', async () => {
    const pricer = createPricer(await loadBundledCatalog(), null);
    const filters = canonicalModelFilters(
      [
        { dimension: 'model', values: ['claude-sonnet-4-5-20250929', 'gpt-4o', 'my-private-llm', null] },
        { dimension: 'team', values: ['claude-sonnet-4-5-20250929'] },
      ],
      pricer,
    );
    expect(filters).toEqual([
      {
        dimension: 'model',
        values: ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5', 'gpt-4o', 'my-private-llm', null],
      },
      { dimension: 'team', values: ['claude-sonnet-4-5-20250929'] },
    ]);
  });
});
