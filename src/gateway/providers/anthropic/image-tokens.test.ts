import { describe, expect, it } from 'vitest';
import { anthropicImageTokens, maxImageTokens } from './image-tokens.js';

// https://platform.claude.com/docs/en/build-with-claude/vision, "Evaluate image size".

describe('the largest image a Claude model takes', () => {
  it.each([
    'claude-sonnet-4-20250514',
    'claude-3-5-sonnet-20241022',
    'claude-opus-4-1-20250805',
    'claude-sonnet-4-5-latest',
    'claude-haiku-4-5',
    'claude-opus-4-6',
  ])('is ~1,600 tokens (1568 px long edge, ~1.15 megapixels) for %s', (model) => {
    expect(maxImageTokens(model)).toBe(1_600);
  });

  it.each(['claude-opus-4-7', 'claude-opus-4-7-20260416', 'claude-sonnet-5'])(
    'is 5,000 tokens (2576 px long edge, ~3.75 megapixels) for %s, and for a model not known to take less',
    (model) => {
      expect(maxImageTokens(model)).toBe(5_000);
    },
  );

  it('bounds an image by URL or file id in admission, per image', () => {
    const image = (source: Record<string, unknown>) => ({ type: 'image', source });
    const json = {
      messages: [
        {
          role: 'user',
          content: [
            image({ type: 'url', url: 'https://example.com/a.png' }),
            image({ type: 'file', file_id: 'f' }),
          ],
        },
      ],
    };
    expect(anthropicImageTokens(json, 'claude-opus-4-6')).toBe(3_200);
    expect(anthropicImageTokens(json, 'claude-opus-4-7')).toBe(10_000);
  });
});
