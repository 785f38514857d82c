import { describe, expect, it } from 'vitest';
import { parseServiceTiers } from './service-tiers.js';

describe('the service-tier multipliers file', () => {
  it('reads multipliers exactly, tier names lower-cased', () => {
    const t = parseServiceTiers(
      '{"openai": {"Batch": {"multiplier": "0.5", "source": "https://platform.openai.com/docs/guides/batch"}}}',
      'tiers.json',
    );
    expect(t.get('openai')?.get('batch')).toEqual({
      multiplier: { value: 500_000_000_000_000_000n, text: '0.5' },
      source: 'https://platform.openai.com/docs/guides/batch',
      models: new Map(),
    });
  });

  it("reads a tier's own prices per model exactly, as flat prices of the parts given", () => {
    const t = parseServiceTiers(
      `{"openai": {"priority": {"source": "https://openai.com/api-priority-processing/",
        "models": {"gpt-4o-mini": {"input_mtok": "0.25", "cache_read_mtok": "0.125", "output_mtok": 1}}}}}`,
      'tiers.json',
    );
    const priority = t.get('openai')?.get('priority');
    expect(priority?.multiplier).toBeNull();
    expect(priority?.models.get('gpt-4o-mini')).toEqual({
      prices: {
        input_mtok: { base: 250_000_000_000_000_000n, tiers: [] },
        cache_read_mtok: { base: 125_000_000_000_000_000n, tiers: [] },
        output_mtok: { base: 1_000_000_000_000_000_000n, tiers: [] },
      },
      multiplier: null,
    });
  });

  it('reads a per-model multiplier', () => {
    const t = parseServiceTiers(
      '{"anthropic": {"fast": {"source": "https://x.test/", "models": {"claude-opus-4-6": {"multiplier": "6"}}}}}',
      'tiers.json',
    );
    expect(t.get('anthropic')?.get('fast')?.models.get('claude-opus-4-6')).toEqual({
      prices: null,
      multiplier: { value: 6_000_000_000_000_000_000n, text: '6' },
    });
  });

  it('reads a tier that is another name of one the provider lists: its prices, its own source', () => {
    const t = parseServiceTiers(
      `{"openai": {"priority": {"source": "https://x.test/p", "models": {"gpt-5": {"input_mtok": "2.5"}}},
        "Fast": {"same_as": "Priority", "source": "https://x.test/f"}}}`,
      'tiers.json',
    );
    const priority = t.get('openai')?.get('priority');
    expect(t.get('openai')?.get('fast')).toEqual({ ...priority, source: 'https://x.test/f' });
    const fast = (entry: string) =>
      parseServiceTiers(
        `{"openai": {"priority": {"source": "https://x.test/", "multiplier": "2"}, "fast": ${entry}}}`,
        't',
      );
    expect(() => fast('{"same_as": "turbo", "source": "https://x.test/"}')).toThrow(
      't: openai.fast.same_as: no tier "turbo" with prices in openai; name one this provider lists',
    );
    expect(() => fast('{"same_as": 1, "source": "https://x.test/"}')).toThrow(
      't: openai.fast.same_as: expected the name of another tier of this provider',
    );
    expect(() => fast('{"same_as": "priority", "multiplier": "2", "source": "https://x.test/"}')).toThrow(
      't: openai.fast: expected same_as or prices (multiplier, models), not both',
    );
  });

  it('names the key of a bad per-model price', () => {
    const tiers = (models: string) =>
      `{"openai": {"priority": {"source": "https://x.test/", "models": ${models}}}}`;
    expect(() => parseServiceTiers(tiers('{"gpt-4o": {"input": "1"}}'), 't')).toThrow(
      't: openai.priority.models.gpt-4o.input: unknown price; allowed: some of input_mtok, cache_read_mtok, cache_write_mtok, cache_write_1h_mtok, output_mtok, input_audio_mtok, output_audio_mtok, input_image_mtok, output_image_mtok, input_audio_hours, audio_hours, or a multiplier',
    );
    expect(() => parseServiceTiers(tiers('{"gpt-4o": {"input_mtok": "-1"}}'), 't')).toThrow(
      't: openai.priority.models.gpt-4o.input_mtok must not be negative',
    );
    expect(() => parseServiceTiers(tiers('{"gpt-4o": {}}'), 't')).toThrow(
      't: openai.priority.models.gpt-4o: expected some of input_mtok',
    );
    expect(() => parseServiceTiers(tiers('{"gpt-4o": {"multiplier": "2", "input_mtok": "1"}}'), 't')).toThrow(
      't: openai.priority.models.gpt-4o: expected prices or a multiplier, not both',
    );
    expect(() => parseServiceTiers(tiers('{"gpt-4o": {"multiplier": "-2"}}'), 't')).toThrow(
      't: openai.priority.models.gpt-4o.multiplier must not be negative',
    );
    expect(() => parseServiceTiers(tiers('[]'), 't')).toThrow(
      't: openai.priority.models: expected an object of model ids',
    );
    expect(() => parseServiceTiers('{"openai": {"priority": {"source": "https://x.test/"}}}', 't')).toThrow(
      't: openai.priority: expected a multiplier, models, or both',
    );
  });

  it('names the file and what is wrong', () => {
    expect(() => parseServiceTiers('{"openai": ', 'tiers.json')).toThrow(/^tiers\.json: not valid JSON/);
    expect(() =>
      parseServiceTiers(
        '{"openai": {"batch": {"multiplier": "-1", "source": "https://x.test/"}}}',
        'tiers.json',
      ),
    ).toThrow('tiers.json: openai.batch.multiplier must not be negative');
    expect(() =>
      parseServiceTiers(
        '{"openai": {"batch": {"multiplier": "half", "source": "https://x.test/"}}}',
        'tiers.json',
      ),
    ).toThrow(/^tiers\.json: openai\.batch\.multiplier: /);
    expect(() => parseServiceTiers('[]', 'tiers.json')).toThrow(
      'tiers.json: (top level): expected an object',
    );
    expect(() => parseServiceTiers('{"openai": 1}', 'tiers.json')).toThrow(
      'tiers.json: openai: expected an object',
    );
    expect(() =>
      parseServiceTiers(
        '{"openai": {"batch": {"multiplier": "0.5", "source": "https://x.test/", "note": 1}}}',
        't',
      ),
    ).toThrow('t: openai.batch.note: unknown key; allowed: multiplier, models, same_as, source');
    expect(() => parseServiceTiers('{"openai": {"batch": {"multiplier": "0.5"}}}', 't')).toThrow(
      't: openai.batch.source: expected the URL',
    );
    expect(() =>
      parseServiceTiers('{"openai": {"batch": {"multiplier": null, "source": "https://x.test/"}}}', 't'),
    ).toThrow('t: openai.batch.multiplier: expected a decimal string');
  });
});
