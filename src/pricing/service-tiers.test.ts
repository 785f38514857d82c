import { describe, expect, it } from 'vitest';
import { parseServiceTiers } from './service-tiers.js';

describe('the service-tier multipliers file', () => {
  it('reads multipliers exactly, tier names lower-cased', () => {
    const t = parseServiceTiers(
      '{"openai": {"Batch": {"multiplier": "0.5", "source": "https://platform.openai.com/docs/guides/batch"}}}',
      'tiers.json',
    );
    expect(t.get('openai')?.get('batch')).toEqual({
      multiplier: 500_000_000_000_000_000n,
      text: '0.5',
      source: 'https://platform.openai.com/docs/guides/batch',
    });
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
    ).toThrow('t: openai.batch.note: unknown key; allowed: multiplier, source');
    expect(() => parseServiceTiers('{"openai": {"batch": {"multiplier": "0.5"}}}', 't')).toThrow(
      't: openai.batch.source: expected the URL',
    );
    expect(() =>
      parseServiceTiers('{"openai": {"batch": {"multiplier": null, "source": "https://x.test/"}}}', 't'),
    ).toThrow('t: openai.batch.multiplier: expected a decimal string');
  });
});
