import { describe, expect, it } from 'vitest';
import { openAiImageFacts } from './image-usage.js';

// openai/openai-node src/resources/images.ts: `ImagesResponse.Usage`, the same in `ImageGenCompletedEvent` and
// `ImageEditCompletedEvent` (without output_tokens_details there).
describe('openAiImageFacts', () => {
  it('an edit: input with its images apart, output all image where the answer does not split it (gpt-image-1)', () => {
    const facts = openAiImageFacts({
      created: 1_767_225_600,
      data: [{ b64_json: 'iVBORw0KGgo=' }],
      usage: {
        input_tokens: 373,
        input_tokens_details: { text_tokens: 50, image_tokens: 323 },
        output_tokens: 1056,
        total_tokens: 1429,
      },
    });
    expect(facts).toEqual({
      usage: {
        input_tokens: 373,
        cache_read_tokens: 0,
        cache_write_5m_tokens: 0,
        cache_write_1h_tokens: 0,
        output_tokens: 1056,
        reasoning_tokens: 0,
        web_search_requests: 0,
        input_image_tokens: 323,
        output_image_tokens: 1056,
      },
      model: null,
      service_tier: null,
      response_id: null,
    });
  });

  it('takes the output image tokens from output_tokens_details where given (gpt-image-1.5)', () => {
    const usage = openAiImageFacts({
      usage: {
        input_tokens: 50,
        input_tokens_details: { text_tokens: 50, image_tokens: 0 },
        output_tokens: 4200,
        output_tokens_details: { text_tokens: 40, image_tokens: 4160 },
        total_tokens: 4250,
      },
    }).usage;
    expect(usage).toMatchObject({
      input_tokens: 50,
      input_image_tokens: 0,
      output_tokens: 4200,
      output_image_tokens: 4160,
    });
  });

  it('never takes a part for more than its whole', () => {
    const usage = openAiImageFacts({
      usage: {
        input_tokens: 10,
        input_tokens_details: { image_tokens: 99 },
        output_tokens: 20,
        output_tokens_details: { image_tokens: 30 },
      },
    }).usage;
    expect(usage).toMatchObject({ input_image_tokens: 10, output_image_tokens: 20 });
  });

  it('dall-e-2 and dall-e-3 report no usage (billed per image): none', () => {
    expect(openAiImageFacts({ created: 1, data: [{ url: 'https://example.com/a.png' }] }).usage).toBeNull();
    expect(openAiImageFacts(null).usage).toBeNull();
  });
});
