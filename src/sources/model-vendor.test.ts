import { describe, expect, it } from 'vitest';
import { vendorOfModel } from './model-vendor.js';

describe('vendorOfModel', () => {
  it('reads the vendor off the family name, however the tool spells the rest', () => {
    expect(
      [
        'claude-4.5-sonnet-thinking',
        'claude-opus-4.6-1m',
        'gpt-5.1-codex',
        'o3-mini',
        'codex-mini-latest',
        'gemini-3-pro-preview',
        'grok-code-fast-1',
        'deepseek-r1',
        ' Claude-Sonnet-4.5 ',
      ].map(vendorOfModel),
    ).toEqual([
      'anthropic',
      'anthropic',
      'openai',
      'openai',
      'openai',
      'google',
      'xai',
      'deepseek',
      'anthropic',
    ]);
  });

  it('names no vendor for a family it does not know', () => {
    expect(['auto', 'kimi-k2', 'unknown', ''].map(vendorOfModel)).toEqual([null, null, null, null]);
  });
});
