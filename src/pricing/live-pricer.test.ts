import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCatalog } from './bundled-catalog.js';
import type { Catalog } from './catalog.js';
import { LivePricer } from './live-pricer.js';
import { createPricer } from './pricer.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadBundledCatalog();
});

describe('the live pricer', () => {
  it("gives the rates of the pricer it holds, the web search tool's fee included", () => {
    const inner = createPricer(catalog, null);
    const live = new LivePricer(inner);
    const r = live.resolve('gpt-4o', 'openai')!;
    const ts = Date.parse('2025-10-01T00:00:00Z');
    // gpt-4o pays $25 per 1,000 searches with the web_search_preview tool, $10 with the current web_search tool.
    expect(live.rates(r, ts, 1_000, null, 'web_search_preview')?.web_search).toBe(25n * 10n ** 18n);
    expect(live.rates(r, ts, 1_000, null)?.web_search).toBe(10n * 10n ** 18n);
    expect(live.rates(r, ts, 1_000, null, 'web_search_preview')).toEqual(
      inner.rates(r, ts, 1_000, null, 'web_search_preview'),
    );
  });
});
