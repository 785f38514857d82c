import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCatalog } from './bundled-catalog.js';
import type { Catalog } from './catalog.js';
import { outputLimitOf, parseOutputLimits } from './output-limits.js';
import { createPricer, type Pricer } from './pricer.js';

let catalog: Catalog;
let pricer: Pricer;
beforeAll(async () => {
  catalog = await loadBundledCatalog();
  pricer = createPricer(catalog, null);
});

const limitOf = (name: string, provider: string | null = null) =>
  outputLimitOf(catalog.outputLimits, pricer.resolve(name, provider)!)?.tokens ?? null;

describe('the output limits file', () => {
  it('gives every name the catalog matches to a listed model that model’s limit', () => {
    expect(limitOf('gpt-5')).toBe(128_000);
    expect(limitOf('gpt-5-2025-08-07')).toBe(128_000);
    expect(limitOf('gpt-4.1-mini')).toBe(32_768);
    expect(limitOf('o3')).toBe(100_000);
    // gpt-5-pro writes more than the rest of its family; gpt-3.5-turbo far less than the fallback.
    expect(limitOf('gpt-5-pro-2025-10-06')).toBe(272_000);
    expect(limitOf('gpt-3.5-turbo-0125')).toBe(4_096);
    expect(limitOf('gemini-2.5-pro', 'google')).toBe(65_536);
    // Azure serves OpenAI's models: the entry is OpenAI's, and so is its limit.
    expect(limitOf('gpt-4o', 'azure')).toBe(16_384);
    // A model the file does not list has none (budgets then reserve the fallback).
    expect(limitOf('claude-sonnet-4-5')).toBeNull();
  });

  it('lists only models the catalog holds, each under its own catalog id', () => {
    for (const [provider, models] of catalog.outputLimits)
      for (const id of models.keys()) {
        const r = pricer.resolve(id, provider);
        expect(r?.entry.id, `${provider}.${id}`).toBe(id);
        expect(r?.entry.listedBy, `${provider}.${id}`).toBe(provider);
      }
  });

  it('names the file, the key and what is wrong, with a stable code', () => {
    const bad = (text: string) => () => parseOutputLimits(text, 'ol.json');
    expect(bad('{"openai": ')).toThrow(expect.objectContaining({ code: 'PRICE_OUTPUT_LIMITS_INVALID' }));
    expect(
      bad('{"openai": {"gpt-5": {"max_output_tokens": "128000", "source": "https://x.test/"}}}'),
    ).toThrow(
      'ol.json: openai.gpt-5.max_output_tokens: expected a positive whole number of tokens, such as 128000',
    );
    expect(bad('{"openai": {"gpt-5": {"max_output_tokens": 0, "source": "https://x.test/"}}}')).toThrow(
      /max_output_tokens: expected a positive whole number/,
    );
    expect(bad('{"openai": {"gpt-5": {"max_output_tokens": 128000}}}')).toThrow(
      'ol.json: openai.gpt-5.source: expected the URL of the page that publishes the limit',
    );
    expect(
      bad('{"openai": {"gpt-5": {"max_output_tokens": 1, "context": 2, "source": "https://x.test/"}}}'),
    ).toThrow('ol.json: openai.gpt-5.context: unknown key; allowed: max_output_tokens, source');
  });
});
