import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCatalog } from './bundled-catalog.js';
import type { Catalog } from './catalog.js';
import { createPricer } from './pricer.js';
import { parseWebSearchPrices, webSearchPrice, webSearchToolName } from './web-search.js';

const TEN = 10n * 10n ** 18n;

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadBundledCatalog();
});

describe('the web search fee file', () => {
  it('reads prices per 1,000 searches exactly, per tool and where a model differs', () => {
    const t = parseWebSearchPrices(
      `{"openai": {"web_search": {"per_1k": "10", "source": "https://x.test/"},
        "web_search_preview_2025_03_11": {"per_1k": "10", "models": {"gpt-4o": "25"}, "source": "https://x.test/"}}}`,
      'ws.json',
    );
    expect(webSearchPrice(t, 'openai', 'gpt-5', null)).toEqual({
      perThousand: TEN,
      text: '10',
      source: 'https://x.test/',
      tool: 'web_search',
    });
    // The dated tool type is keyed by its name; a model it prices apart has its own price.
    expect(webSearchPrice(t, 'openai', 'gpt-4o', 'web_search_preview')?.perThousand).toBe(25n * 10n ** 18n);
    expect(webSearchPrice(t, 'openai', 'gpt-5', 'web_search_preview')?.perThousand).toBe(TEN);
    // A tool the provider does not price apart is its current tool; a provider with no entry charges nothing known.
    expect(webSearchPrice(t, 'openai', 'gpt-4o', 'web_search_2026')?.tool).toBe('web_search');
    expect(webSearchPrice(t, 'aws', 'claude-sonnet-4-5', null)).toBeNull();
  });

  it('names the file, the key and what is wrong, with a stable code', () => {
    const bad = (text: string) => () => parseWebSearchPrices(text, 'ws.json');
    expect(bad('{"openai": ')).toThrow(expect.objectContaining({ code: 'PRICE_WEB_SEARCH_INVALID' }));
    expect(bad('{"openai": ')).toThrow(/^ws\.json: not valid JSON/);
    expect(bad('{"openai": {"web_search": {"per_1k": 10, "source": "https://x.test/"}}}')).toThrow(
      'ws.json: openai.web_search.per_1k: expected a decimal string of USD per 1,000 searches, such as "10"',
    );
    expect(bad('{"openai": {"web_search": {"per_1k": "-1", "source": "https://x.test/"}}}')).toThrow(
      'ws.json: openai.web_search.per_1k must not be negative',
    );
    expect(bad('{"openai": {"web_search": {"per_1k": "10"}}}')).toThrow(
      'ws.json: openai.web_search.source: expected the URL of the page that publishes the price',
    );
    expect(
      bad('{"openai": {"web_search": {"per_1k": "10", "source": "https://x.test/", "per_search": "0.01"}}}'),
    ).toThrow('ws.json: openai.web_search.per_search: unknown key; allowed: per_1k, models, source');
    expect(
      bad(
        '{"openai": {"web_search": {"per_1k": "10", "source": "https://x.test/", "models": {"gpt-4o": "x"}}}}',
      ),
    ).toThrow(/^ws\.json: openai\.web_search\.models\.gpt-4o: /);
  });

  it('reads the tool name from a dated tool type', () => {
    expect(webSearchToolName('web_search_preview_2025_03_11')).toBe('web_search_preview');
    expect(webSearchToolName('web_search_20250305')).toBe('web_search_20250305');
    expect(webSearchToolName('Web_Search')).toBe('web_search');
  });

  it('bundled: names catalog providers, and models by the canonical id they resolve to', () => {
    const pricer = createPricer(catalog, null);
    expect(catalog.webSearch.size).toBeGreaterThan(0);
    for (const [provider, tools] of catalog.webSearch) {
      expect(
        catalog.providers.some((p) => p.id === provider),
        provider,
      ).toBe(true);
      for (const [, price] of tools) {
        expect(price.source).toMatch(/^https:\/\//);
        for (const model of price.models.keys()) {
          const r = pricer.resolve(model, provider);
          expect([r?.model, r?.provider], `${provider} ${model}`).toEqual([model, provider]);
        }
      }
    }
  });
});
