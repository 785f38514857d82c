import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCatalog } from './bundled-catalog.js';
import type { Catalog } from './catalog.js';
import { describeModel, formatModelDescription } from './describe.js';
import { parseOverrides } from './overrides.js';
import { createPricer } from './pricer.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadBundledCatalog();
});
const at = Date.parse('2025-10-01T00:00:00Z') * 1000;

describe('prices show', () => {
  it('describes the canonical id, the matched rule, the tiers and the rates in force', () => {
    const d = describeModel(createPricer(catalog, null), 'vertex_ai/gemini-2.5-pro', at)!;
    expect([d.model, d.provider, d.entry]).toEqual(['gemini-2.5-pro', 'google', 'google/gemini-2.5-pro']);
    expect(d.rule).toContain('starts_with "gemini-2.5-pro"');
    expect(d.prices.find((p) => p.part === 'input_mtok')).toEqual({
      part: 'input_mtok',
      base: '1.25',
      tiers: [{ above: 200000, price: '2.5' }],
    });
    expect(d.rates.map((r) => `${r.label}: ${r.rates.input}`)).toEqual([
      'standard: 1.25',
      'standard, input > 200000: 2.5',
      'batch: 0.625',
      'batch, input > 200000: 1.25',
      'flex: 0.625',
      'flex, input > 200000: 1.25',
      // Google publishes no priority factor for Gemini 2.5 Pro: its standard rates.
      'priority: 1.25',
      'priority, input > 200000: 2.5',
    ]);
    const text = formatModelDescription(d);
    expect(text).toContain('vertex_ai/gemini-2.5-pro → gemini-2.5-pro (provider google)');
    expect(text).toContain('input_mtok           1.25, 2.5 when input > 200000');
  });

  it('shows aliases, overrides and discounts in force, and null for unknown names', () => {
    const pricer = createPricer(
      catalog,
      parseOverrides(
        'aliases: { fast: gpt-4o-mini }\ndiscounts: [ { provider: openai, percent_off: "12.5" } ]\n',
        'p.yaml',
      ),
    );
    const d = describeModel(pricer, 'fast', at)!;
    expect(d.alias).toBe('fast → gpt-4o-mini');
    expect(d.discount).toEqual({ percent_off: '12.5', where: 'discounts[0]' });
    // $0.15 × 0.875 = $0.13125
    expect(d.rates[0]!.rates.input).toBe('0.13125');
    expect(describeModel(pricer, 'acme-llm-9000', at)).toBeNull();
  });

  it("says what each of the provider's service tiers charges for the model", () => {
    const pricer = createPricer(catalog, null);
    const text = formatModelDescription(describeModel(pricer, 'gpt-4o-2024-11-20', at)!);
    expect(text).toContain('service tier batch: x0.5 (https://platform.openai.com/docs/guides/batch)');
    expect(text).toContain(
      'service tier priority: input_mtok 4.25, cache_read_mtok 2.125, output_mtok 17 (https://openai.com/api-priority-processing/)',
    );
    expect(text).toMatch(/priority +4\.25 \/ 2\.125 \/ 4\.25 \/ 4\.25 \/ 17/);
    // gpt-5-nano is not offered at priority: its standard rates, said so.
    expect(formatModelDescription(describeModel(pricer, 'gpt-5-nano', at)!)).toContain(
      'service tier priority: standard rates (no price for this model)',
    );
  });

  it('shows the web search fee where one applies, per tool, and says so where none is charged', () => {
    const pricer = createPricer(catalog, null);
    const sonnet = formatModelDescription(describeModel(pricer, 'claude-sonnet-4-5', at)!);
    expect(sonnet).toContain(
      'web search fee (web_search): 10 USD per 1,000 searches (https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool)',
    );
    expect(sonnet).not.toContain('web_searches_kcount');
    const gpt4o = describeModel(pricer, 'gpt-4o', at)!;
    expect(gpt4o.webSearch.map((w) => `${w.tool} ${w.per_1k}`)).toEqual([
      'web_search 10',
      'web_search_preview 25',
    ]);
    expect(describeModel(pricer, 'gpt-5', at)!.webSearch.map((w) => w.per_1k)).toEqual(['10', '10']);
    expect(
      formatModelDescription(
        describeModel(pricer, 'bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0', at)!,
      ),
    ).toContain('web search: no fee charged (none confirmed for aws); searches are counted');
  });

  it('shows the output limit a budget reserves for a request that sets none', () => {
    const pricer = createPricer(catalog, null);
    expect(formatModelDescription(describeModel(pricer, 'gpt-5', at)!)).toContain(
      'max output: 128,000 tokens (https://platform.openai.com/docs/models/gpt-5)',
    );
    expect(formatModelDescription(describeModel(pricer, 'claude-sonnet-4-5', at)!)).toContain(
      'max output: not listed; a budget reserves 16,384 tokens for a request that sets no limit',
    );
  });

  it('shows the audio rates of a model that has them, and no audio columns for one without', () => {
    const pricer = createPricer(catalog, null);
    const audio = formatModelDescription(describeModel(pricer, 'gpt-audio', at)!);
    expect(audio).toContain('input_audio_mtok     32');
    expect(audio).toContain(
      'effective rates (input / cache read / cache write 5m / cache write 1h / output / audio input / audio output):',
    );
    expect(audio).toMatch(/standard +2\.5 \/ 2\.5 \/ 2\.5 \/ 2\.5 \/ 10 \/ 32 \/ 64\n/);
    expect(audio).toMatch(/batch +1\.25 \/ 1\.25 \/ 1\.25 \/ 1\.25 \/ 5 \/ 16 \/ 32\n/);
    const text = formatModelDescription(describeModel(pricer, 'gpt-4o', at)!);
    expect(text).toContain(
      'effective rates (input / cache read / cache write 5m / cache write 1h / output):',
    );
    expect(text).not.toContain('audio');
  });

  it('shows the image rates of a model that has them: gpt-image-1.5 bills image input and output apart', () => {
    const pricer = createPricer(catalog, null);
    const image = formatModelDescription(describeModel(pricer, 'gpt-image-1.5', at)!);
    expect(image).toContain('output_image_mtok    32');
    expect(image).not.toMatch(/not billed by the ledger:.*input_image_mtok/);
    expect(image).toContain(
      'effective rates (input / cache read / cache write 5m / cache write 1h / output / image input / image output):',
    );
    expect(image).toMatch(/standard +5 \/ 1\.25 \/ 5 \/ 5 \/ 10 \/ 8 \/ 32\n/);
  });
  it('shows the rate per hour of a model billing audio by its duration as billed, not ignored: whisper-1', () => {
    const pricer = createPricer(catalog, null);
    const d = describeModel(pricer, 'whisper-1', at)!;
    expect(d.prices.map((p) => [p.part, p.base])).toEqual([
      ['input_audio_hours', '0.36'],
      ['audio_hours', '0.36'],
    ]);
    expect(d.ignored).toEqual([]);
    const text = formatModelDescription(d);
    expect(text).toContain('input_audio_hours    0.36 per hour of audio');
    expect(text).not.toContain('not billed by the ledger');
    expect(text).toContain('audio billed by duration: 0.36 USD per hour');
    expect(text).toContain('output / audio per hour):');
    // The batch tier halves token rates, not the rate per hour.
    expect(text).toMatch(/batch +0 \/ 0 \/ 0 \/ 0 \/ 0 \/ 0\.36\n/);
    // A model billed by tokens only shows no such column.
    expect(formatModelDescription(describeModel(pricer, 'gpt-4o', at)!)).not.toContain('per hour');
  });
});
