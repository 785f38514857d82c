import { describe, expect, it } from 'vitest';
import { providerId } from './tokens.js';

describe('providerId', () => {
  it('maps what instrumentation libraries write for the provider to catalog ids', () => {
    const cases: [string, string | null][] = [
      // GenAI semconv
      ['openai', 'openai'],
      ['gcp.vertex_ai', 'google'],
      ['aws.bedrock', 'aws'],
      ['az.ai.openai', 'azure'],
      // Vercel AI SDK provider ids (`<provider>.<api>`, amazon-bedrock)
      ['openai.chat', 'openai'],
      ['openai.responses', 'openai'],
      ['anthropic.messages', 'anthropic'],
      ['google.generative-ai', 'google'],
      ['google.vertex.chat', 'google'],
      ['amazon-bedrock', 'aws'],
      // Traceloop vendor names
      ['Anthropic', 'anthropic'],
      ['AWS', 'aws'],
      ['MistralAI', 'mistral'],
      // framework names, not providers
      ['strands-agents', null],
      ['Langchain', null],
    ];
    expect(cases.map(([raw]) => [raw, providerId(raw)])).toEqual(cases);
  });
});
