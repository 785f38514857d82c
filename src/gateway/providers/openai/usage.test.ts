import { describe, expect, it } from 'vitest';
import { openAiFacts } from './usage.js';

describe('openAiFacts', () => {
  // openai/openai-node src/resources/completions.ts `CompletionUsage.CompletionTokensDetails`: rejected prediction
  // tokens, "like reasoning tokens, … are still counted in the total completion tokens for purposes of billing": a
  // part of completion_tokens, never added to it.
  it('predicted outputs: accepted and rejected prediction tokens are inside completion_tokens', () => {
    const usage = openAiFacts({
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      service_tier: 'default',
      usage: {
        prompt_tokens: 200,
        completion_tokens: 90,
        total_tokens: 290,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 40,
          rejected_prediction_tokens: 30,
        },
      },
    }).usage;
    expect([usage?.input_tokens, usage?.output_tokens]).toEqual([200, 90]);
  });

  // openai/openai-node src/resources/responses/responses.ts `ResponseUsage`: cached tokens inside input_tokens,
  // reasoning inside output_tokens; the response names the tier that served it (`service_tier`).
  it('Responses API usage: cached input split out, reasoning kept as a part, the served tier read', () => {
    const facts = openAiFacts({
      object: 'response',
      model: 'o4-mini-2025-04-16',
      service_tier: 'flex',
      output: [],
      usage: {
        input_tokens: 1000,
        input_tokens_details: { cached_tokens: 600 },
        output_tokens: 300,
        output_tokens_details: { reasoning_tokens: 200 },
        total_tokens: 1300,
      },
    });
    expect(facts).toMatchObject({
      service_tier: 'flex',
      usage: { input_tokens: 400, cache_read_tokens: 600, output_tokens: 300, reasoning_tokens: 200 },
    });
  });
});
