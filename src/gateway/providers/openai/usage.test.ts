import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../../money/money.js';
import { openAiFacts } from './usage.js';

/** The metered usage of a chat completion from `model` that reports `usage`. */
const chatUsage = (model: string, usage: Record<string, unknown>) =>
  openAiFacts({ object: 'chat.completion', model, usage }).usage;

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

  // Google's page for Grok on Vertex AI (docs.cloud.google.com/vertex-ai/generative-ai/docs/partner-models/grok/
  // capabilities/reasoning): "The reasoning token count is outputted in the reasoning_tokens field, separated from the
  // completion_tokens"; its example response's usage, as given there.
  it('reasoning an upstream counts apart from completion_tokens (xAI) is output, as its total shows', () => {
    const grok = chatUsage('xai/grok-4.1-fast-reasoning', {
      completion_tokens: 50,
      completion_tokens_details: {
        accepted_prediction_tokens: 0,
        audio_tokens: 0,
        reasoning_tokens: 124,
        rejected_prediction_tokens: 0,
      },
      cost_in_usd_ticks: 0,
      num_sources_used: 0,
      prompt_tokens: 663,
      prompt_tokens_details: { audio_tokens: 0, cached_tokens: 654, image_tokens: 0, text_tokens: 663 },
      total_tokens: 837,
    });
    expect(grok).toMatchObject({
      input_tokens: 9,
      cache_read_tokens: 654,
      output_tokens: 174,
      reasoning_tokens: 124,
    });
    // OpenAI's own convention, reasoning inside completion_tokens (total = prompt + completion): taken as it is.
    const o3 = chatUsage('o3-2025-04-16', {
      prompt_tokens: 663,
      completion_tokens: 174,
      total_tokens: 837,
      completion_tokens_details: { reasoning_tokens: 124 },
    });
    expect(o3).toMatchObject({ output_tokens: 174, reasoning_tokens: 124 });
    // No total to tell by: more reasoning than completion tokens was counted apart; less may be inside.
    const untold = (completion_tokens: number) =>
      chatUsage('grok-3-mini', {
        prompt_tokens: 10,
        completion_tokens,
        completion_tokens_details: { reasoning_tokens: 20 },
      })?.output_tokens;
    expect([untold(5), untold(30)]).toEqual([25, 30]);
    // An excess over prompt + completion that reasoning does not explain, from a model that is not Gemini: left out.
    const odd = chatUsage('some-model', { prompt_tokens: 10, completion_tokens: 5, total_tokens: 40 });
    expect(odd).toMatchObject({ output_tokens: 5, reasoning_tokens: 0 });
  });

  // A Gemini stream's usage through Google's OpenAI-compatible endpoint, as reported on Google's developer forum
  // (discuss.ai.google.dev/t/…/127400): thinking only in total_tokens, no reasoning_tokens.
  it("Gemini's thinking, which its OpenAI-compatible endpoint reports only in total_tokens, is output", () => {
    const usage = openAiFacts({
      object: 'chat.completion.chunk',
      model: 'gemini-3-flash-preview',
      choices: [],
      usage: { completion_tokens: 3, prompt_tokens: 9, total_tokens: 105 },
    }).usage;
    expect(usage).toMatchObject({ input_tokens: 9, output_tokens: 96, reasoning_tokens: 93 });
  });

  // DeepSeek's API (https://platform.deepseek.com/api-docs/guides/kv_cache) reports cache hits beside prompt_tokens,
  // not in prompt_tokens_details: hit + miss = prompt_tokens.
  it("DeepSeek's prompt_cache_hit_tokens are cache reads, split out of prompt_tokens", () => {
    const usage = chatUsage('deepseek-chat', {
      prompt_tokens: 800,
      completion_tokens: 50,
      total_tokens: 850,
      prompt_cache_hit_tokens: 500,
      prompt_cache_miss_tokens: 300,
    });
    expect(usage).toMatchObject({ input_tokens: 300, cache_read_tokens: 500, output_tokens: 50 });
  });

  // A Together answer as recorded in llama-stack's integration tests (tests/integration/recordings/responses/
  // 4ca6152a0eb8.json): `cached_tokens` beside prompt_tokens, no details; with a cache hit here.
  it("Together's top-level cached_tokens are cache reads, split out of prompt_tokens", () => {
    const usage = chatUsage('meta-llama/Llama-3.3-70B-Instruct-Turbo', {
      completion_tokens: 34,
      prompt_tokens: 49,
      total_tokens: 83,
      completion_tokens_details: null,
      prompt_tokens_details: null,
      cached_tokens: 32,
    });
    expect(usage).toMatchObject({ input_tokens: 17, cache_read_tokens: 32, output_tokens: 34 });
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

  // Perplexity's Sonar models bill a request fee by search context size beside their tokens, and say what the call
  // cost in `usage.cost` as parts and a total (its chat completions response: `input_tokens_cost`,
  // `output_tokens_cost`, `request_cost`, `total_cost`, USD).
  it("Perplexity's cost object: its total_cost is the provider's cost, the request fee included", () => {
    const facts = openAiFacts({
      object: 'chat.completion',
      model: 'sonar-pro',
      usage: {
        prompt_tokens: 480,
        completion_tokens: 2823,
        total_tokens: 3303,
        search_context_size: 'medium',
        cost: {
          input_tokens_cost: 0.00144,
          output_tokens_cost: 0.04234,
          request_cost: 0.008,
          total_cost: 0.05178,
        },
      },
    });
    expect(facts.provider_cost_usd).toBe(parseUsd('0.05178'));
    expect([facts.usage?.input_tokens, facts.usage?.output_tokens]).toEqual([480, 2823]);
    // A cost object without a usable total is no reported cost.
    const partsOnly = openAiFacts({
      model: 'sonar',
      usage: { prompt_tokens: 1, completion_tokens: 1, cost: { total_cost: 'n/a', request_cost: 0.005 } },
    });
    expect(partsOnly.provider_cost_usd).toBeNull();
  });
});
