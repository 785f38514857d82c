import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledCatalog } from './bundled-catalog.js';
import { dashDates, nameParts, stripDateSuffix } from './canonical.js';
import { createPricer, type Pricer } from './pricer.js';

let pricer: Pricer;
beforeAll(async () => {
  pricer = createPricer(await loadBundledCatalog(), null);
});

const resolved = (name: string, provider: string | null = null) => {
  const r = pricer.resolve(name, provider);
  return r && { model: r.model, provider: r.provider, entry: r.entry.key };
};

describe('canonicalisation against the bundled catalog', () => {
  it.each([
    ['claude-sonnet-4-5', null],
    ['claude-sonnet-4-5-20250929', null],
    ['anthropic/claude-sonnet-4-5-20250929', null],
    ['Claude-Sonnet-4-5-20250929', 'anthropic'],
  ])('%s (provider %s) is anthropic claude-sonnet-4-5', (name, provider) => {
    expect(resolved(name, provider)).toEqual({
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      entry: 'anthropic/claude-sonnet-4-5',
    });
  });

  it.each([
    ['bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0', null],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', null],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock'],
    ['eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'aws'],
  ])('Bedrock id %s (provider %s) is claude-sonnet-4-5 billed by aws', (name, provider) => {
    expect(resolved(name, provider)).toEqual({
      model: 'claude-sonnet-4-5',
      provider: 'aws',
      entry: 'aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
  });

  it.each([['vertex_ai/claude-sonnet-4-5@20250929'], ['claude-sonnet-4-5@20250929']])(
    'Vertex name %s is claude-sonnet-4-5 billed by google',
    (name) => {
      expect(resolved(name)).toEqual({
        model: 'claude-sonnet-4-5',
        provider: 'google',
        entry: 'google/claude-sonnet-4-5',
      });
    },
  );

  it('openrouter/ routes to the OpenRouter entry but reports the vendor model id', () => {
    expect(resolved('openrouter/anthropic/claude-sonnet-4.5')).toEqual({
      model: 'claude-sonnet-4-5',
      provider: 'openrouter',
      entry: 'openrouter/anthropic/claude-sonnet-4.5',
    });
    expect(resolved('anthropic/claude-sonnet-4.5', 'openrouter')?.entry).toBe(
      'openrouter/anthropic/claude-sonnet-4.5',
    );
  });

  it('azure/ bills azure at the openai entry it falls back to', () => {
    expect(resolved('azure/gpt-4o')).toEqual({ model: 'gpt-4o', provider: 'azure', entry: 'openai/gpt-4o' });
  });

  it.each([
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai/gpt-4o', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['o3-2025-04-16', 'o3'],
    ['gemini/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['vertex_ai/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['x-ai/grok-4', 'grok-4-0709'],
  ])('%s → %s', (name, model) => {
    expect(resolved(name)?.model).toBe(model);
  });

  it('keeps a dated snapshot the catalog prices differently', () => {
    expect(resolved('gpt-4o-2024-05-13')?.model).toBe('gpt-4o-2024-05-13');
  });

  it('unknown names resolve to null', () => {
    expect(resolved('acme-llm-9000')).toBeNull();
    expect(resolved('')).toBeNull();
    expect(resolved('bedrock/acme.unknown-v1:0')).toBeNull();
  });
});

describe('name helpers', () => {
  it('splits routes, Bedrock ids and Vertex versions', () => {
    expect(nameParts('bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toMatchObject({
      route: 'bedrock',
      inferredRoute: 'bedrock',
      vendor: 'anthropic',
      bare: 'claude-sonnet-4-5-20250929',
    });
    expect(nameParts('claude-opus-4-1@20250805')).toMatchObject({
      route: null,
      inferredRoute: 'vertex_ai',
      bare: 'claude-opus-4-1',
    });
    expect(nameParts('openrouter/anthropic/claude-sonnet-4.5:beta')).toMatchObject({
      route: 'openrouter',
      vendor: 'anthropic',
      bare: 'claude-sonnet-4.5',
    });
  });

  it('dashes valid compact dates only, and strips date suffixes', () => {
    expect(dashDates('claude-3-5-sonnet-20241022')).toBe('claude-3-5-sonnet-2024-10-22');
    expect(dashDates('model-20241332')).toBe('model-20241332');
    expect(stripDateSuffix('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(stripDateSuffix('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(stripDateSuffix('gpt-4o')).toBe('gpt-4o');
  });
});
