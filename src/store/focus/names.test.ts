import { describe, expect, it } from 'vitest';
import { focusNames, publisherOf } from './names.js';

describe('FOCUS names', () => {
  it("names a model's maker by its id, through a route prefix", () => {
    expect(publisherOf('claude-sonnet-4-5')).toBe('Anthropic');
    expect(publisherOf('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('Anthropic');
    expect(publisherOf('anthropic/claude-sonnet-4.5')).toBe('Anthropic');
    expect(publisherOf('gpt-4.1-mini')).toBe('OpenAI');
    expect(publisherOf('o4-mini')).toBe('OpenAI');
    expect(publisherOf('whisper-1')).toBe('OpenAI');
    expect(publisherOf('gemini-2.5-pro')).toBe('Google');
    expect(publisherOf('meta-llama/Llama-3.1-8B-Instruct')).toBe('Meta');
    expect(publisherOf('qwen2.5-coder')).toBe('Alibaba Cloud');
    expect(publisherOf('omni-moderation-latest')).toBe('OpenAI');
    expect(publisherOf('mystery-7b')).toBeNull();
  });

  it('tells who served a call from who made its model', () => {
    expect(focusNames('anthropic', 'claude-opus-4-6')).toEqual({
      provider: 'Anthropic',
      service: 'Claude API',
      publisher: 'Anthropic',
    });
    expect(focusNames('bedrock', 'claude-opus-4-6')).toEqual({
      provider: 'AWS',
      service: 'Amazon Bedrock',
      publisher: 'Anthropic',
    });
    expect(focusNames('openrouter', 'gpt-5')).toEqual({
      provider: 'OpenRouter',
      service: 'OpenRouter',
      publisher: 'OpenAI',
    });
  });

  it("falls back to the ledger's own names, never to nothing", () => {
    // A provider the table does not know is its own name and service, and publishes what nobody else is known to.
    expect(focusNames('selfhost', 'mystery-7b')).toEqual({
      provider: 'selfhost',
      service: 'selfhost',
      publisher: 'selfhost',
    });
    // No provider: the model's maker serves it.
    expect(focusNames(null, 'gemini-2.5-flash')).toEqual({
      provider: 'Google',
      service: 'Google',
      publisher: 'Google',
    });
    expect(focusNames(null, 'mystery-7b').provider).toBe('Unknown');
  });
});
