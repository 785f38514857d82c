import { describe, expect, it } from 'vitest';
import { flatPng } from '../../../../test/helpers/png.js';
import { openAiImageTokens, openAiImageTokensEstimate } from './image-tokens.js';

// OpenAI's rules and worked examples: https://platform.openai.com/docs/guides/images-vision, "Calculating costs".

const dataUrl = (width: number, height: number) =>
  `data:image/png;base64,${flatPng(width, height).toString('base64')}`;

/** A Chat Completions request with one image part. */
const chat = (url: string, detail?: string): Record<string, unknown> => ({
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Describe the image.' },
        { type: 'image_url', image_url: { url, ...(detail === undefined ? {} : { detail }) } },
      ],
    },
  ],
});

/** A Responses request with one input_image item. */
const responses = (image: Record<string, unknown>): Record<string, unknown> => ({
  input: [
    {
      role: 'user',
      content: [
        { type: 'input_text', text: 'Describe it.' },
        { type: 'input_image', ...image },
      ],
    },
  ],
});

describe('OpenAI image tokens, estimate (the documented count for the model family)', () => {
  it("matches OpenAI's worked examples for gpt-4o: 1024 × 1024 high is 765 tokens, 2048 × 4096 is 1105", () => {
    expect(openAiImageTokensEstimate(chat(dataUrl(1024, 1024), 'high'), 'gpt-4o')).toBe(765);
    expect(openAiImageTokensEstimate(chat(dataUrl(2048, 4096), 'high'), 'gpt-4o-2024-08-06')).toBe(1105);
  });

  it('counts only the base tokens at detail low, whatever the size', () => {
    expect(openAiImageTokensEstimate(chat(dataUrl(4096, 8192), 'low'), 'gpt-4o')).toBe(85);
    expect(openAiImageTokensEstimate(chat(dataUrl(4096, 8192), 'low'), 'o3')).toBe(75);
  });

  it('uses the base and tile tokens of the model family', () => {
    // 1024 × 1024 → 768 × 768: 4 tiles.
    expect(openAiImageTokensEstimate(chat(dataUrl(1024, 1024), 'auto'), 'gpt-5')).toBe(70 + 4 * 140);
    expect(openAiImageTokensEstimate(chat(dataUrl(1024, 1024)), 'gpt-4o-mini')).toBe(2833 + 4 * 5667);
  });

  it('counts 32 px patches, capped at 1536, times the model multiplier, detail or not', () => {
    // 1024 × 1024: 32 × 32 = 1024 patches; × 1.62.
    expect(openAiImageTokensEstimate(chat(dataUrl(1024, 1024), 'low'), 'gpt-4.1-mini')).toBe(
      Math.ceil(1024 * 1.62),
    );
    // OpenAI's example: 1800 × 2400 is 2,700 patches, scaled down to 1056 × 1408, 33 × 44 = 1452 patches.
    expect(openAiImageTokensEstimate(chat(dataUrl(1800, 2400)), 'gpt-4.1-nano')).toBe(
      Math.ceil((1452 * 246) / 100),
    );
  });

  it("takes gpt-4o's rule for a model OpenAI does not list", () => {
    expect(openAiImageTokensEstimate(chat(dataUrl(1024, 1024), 'high'), 'llava-v1.6')).toBe(765);
  });

  it('counts Responses input_image items as Chat Completions image_url parts', () => {
    const body = responses({ image_url: dataUrl(2048, 4096), detail: 'high' });
    expect(openAiImageTokensEstimate(body, 'gpt-4o')).toBe(1105);
  });

  it('takes an image sent by URL or file id, whose size the request does not hold, at the most its rule bills', () => {
    // 768 × 2048 px: 8 tiles.
    expect(openAiImageTokensEstimate(chat('https://example.com/cat.png', 'high'), 'gpt-4o')).toBe(
      85 + 8 * 170,
    );
    expect(openAiImageTokensEstimate(responses({ file_id: 'file-abc', detail: 'low' }), 'gpt-4o')).toBe(85);
  });

  it('counts nothing for a request without images, or for a data URL that is not a readable image', () => {
    expect(openAiImageTokensEstimate({ messages: [{ role: 'user', content: 'hi' }] }, 'gpt-4o')).toBe(0);
    expect(openAiImageTokensEstimate(chat('data:image/png;base64,AAAA'), 'gpt-4o')).toBe(0);
  });
});

describe('OpenAI image tokens, admission bound', () => {
  it('is the documented count for a model OpenAI lists', () => {
    expect(openAiImageTokens(chat(dataUrl(1024, 1024), 'high'), 'gpt-4o')).toBe(765);
    expect(openAiImageTokens(chat(dataUrl(1024, 1024), 'low'), 'gpt-4o')).toBe(85);
  });

  it('bounds every documented family but the named gpt-4o-mini for a model OpenAI does not list', () => {
    // 1024 patches × 2.46 (gpt-4.1-nano, gpt-5-nano) outweighs gpt-4o's 765, and patches ignore detail low.
    const bound = Math.ceil((1024 * 246) / 100);
    expect(openAiImageTokens(chat(dataUrl(1024, 1024), 'high'), 'gpt-9')).toBe(bound);
    expect(openAiImageTokens(chat(dataUrl(1024, 1024), 'low'), 'gpt-9')).toBe(bound);
    for (const model of ['gpt-4o', 'gpt-5', 'o3', 'gpt-4.1-mini', 'gpt-5-nano', 'o4-mini'])
      expect(openAiImageTokensEstimate(chat(dataUrl(1024, 1024), 'high'), model)).toBeLessThanOrEqual(bound);
  });
});
