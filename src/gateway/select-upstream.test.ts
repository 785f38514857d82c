import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { candidates } from './select-upstream.js';

const cfg = resolveConfig(
  {
    upstreams: {
      openrouter: {
        type: 'openai',
        base_url: 'https://openrouter.ai/api/v1',
        models: ['anthropic/*', 'openai/*'],
      },
      'local-vllm': { type: 'openai', base_url: 'http://127.0.0.1:8000/v1' },
    },
  },
  {},
  'test',
);
const first = (model: string) => {
  const c = candidates(cfg, 'openai', model)[0]!;
  return [c.upstream.name, c.model];
};

describe('candidates', () => {
  it("a models glob matching the whole vendor/model id wins over a vendor that names an upstream (OpenRouter's ids)", () => {
    expect(first('openai/gpt-4o')).toEqual(['openrouter', 'openai/gpt-4o']);
    expect(first('anthropic/claude-sonnet-4.5')).toEqual(['openrouter', 'anthropic/claude-sonnet-4.5']);
  });

  it('a prefix naming an upstream still routes there, without the prefix', () => {
    expect(first('local-vllm/llama-3.1-8b')).toEqual(['local-vllm', 'llama-3.1-8b']);
    expect(first('gpt-4o')).toEqual(['openai', 'gpt-4o']);
  });
});
