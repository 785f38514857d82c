import { describe, expect, it } from 'vitest';
import { upstreamPath } from './upstream-client.js';

describe('upstreamPath', () => {
  it("appends the request's path and passes its query byte for byte", () => {
    expect(upstreamPath('http://h:8000/v1', '/chat/completions?trace=a%20b')).toBe(
      '/v1/chat/completions?trace=a%20b',
    );
    expect(upstreamPath('https://openrouter.ai/api/v1', '/chat/completions')).toBe(
      '/api/v1/chat/completions',
    );
  });

  it("keeps a base URL's own query (Azure's api-version); its parameters win over the request's", () => {
    const base = 'https://r.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21';
    expect(upstreamPath(base, '/chat/completions')).toBe(
      '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21',
    );
    expect(upstreamPath(base, '/chat/completions?api-version=1999-01-01&x=1')).toBe(
      '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21&x=1',
    );
  });
});
