import { count, type MeteredUsage, obj, type ResponseFacts, str } from '../provider.js';

/**
 * The Images API's usage (`ImagesResponse.usage`, and a stream's `image_generation.completed` /
 * `image_edit.completed` event's; openai-node src/resources/images.ts) to the ledger's convention:
 * `{input_tokens, input_tokens_details: {text_tokens, image_tokens}, output_tokens, output_tokens_details?:
 * {text_tokens, image_tokens}, total_tokens}`. The image tokens are parts of input and output, as audio tokens are,
 * never more than their whole. No cached tokens are reported: all input is uncached.
 *
 * Output without its details is all image: the API documents `output_tokens` as "the number of image tokens in the
 * output image" (gpt-image-1's answers carry no `output_tokens_details`).
 */
export function openAiImageUsage(u: Record<string, unknown>): MeteredUsage {
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  const outImages = obj(u.output_tokens_details)?.image_tokens;
  return {
    input_tokens: input,
    cache_read_tokens: 0,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: output,
    reasoning_tokens: 0,
    web_search_requests: 0,
    input_image_tokens: Math.min(count(obj(u.input_tokens_details)?.image_tokens), input),
    output_image_tokens: typeof outImages === 'number' ? Math.min(count(outImages), output) : output,
  };
}

/**
 * Facts from an Images API answer or a stream's completed event. dall-e-2 and dall-e-3 report no usage (they are
 * billed per image): null usage, recorded `usage_missing`.
 */
export function openAiImageFacts(body: unknown): ResponseFacts {
  const o = obj(body);
  const usage = obj(o?.usage);
  return {
    usage: usage === null ? null : openAiImageUsage(usage),
    // The Images API names no model in its answer; an OpenAI-compatible server may.
    model: str(o?.model),
    service_tier: null,
    response_id: null,
  };
}
