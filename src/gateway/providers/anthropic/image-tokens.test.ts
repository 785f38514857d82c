import { describe, expect, it } from 'vitest';
import { flatPng } from '../../../../test/helpers/png.js';
import { anthropicImageTokens, anthropicImageTokensEstimate, maxImageTokens } from './image-tokens.js';

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

/** A request of one base64 PNG of this size. */
const onePng = (width: number, height: number) => ({
  messages: [
    {
      role: 'user',
      content: [
        {
          type: 'image',
          source: {
            type: 'base64',
            media_type: 'image/png',
            data: flatPng(width, height).toString('base64'),
          },
        },
      ],
    },
  ],
});

describe('a base64 image larger than the model takes', () => {
  it('is bounded and estimated at the largest image the model takes, not at the size sent', () => {
    // 3000 × 2000: 8,000 tokens at the size sent, scaled down to ~1,600 (Claude Sonnet 4) or 5,000 (Opus 4.7).
    expect(anthropicImageTokens(onePng(3000, 2000), 'claude-sonnet-4-20250514')).toBe(1_600);
    expect(anthropicImageTokensEstimate(onePng(3000, 2000), 'claude-sonnet-4-20250514')).toBe(1_600);
    expect(anthropicImageTokens(onePng(3000, 2000), 'claude-opus-4-7')).toBe(5_000);
    // A smaller one is counted at its size.
    expect(anthropicImageTokensEstimate(onePng(200, 150), 'claude-sonnet-4-20250514')).toBe(40);
  });
});

describe("the images of a document's content", () => {
  // A document of content blocks (`source: {type: "content", content: [text and image blocks]}`, the SDK's
  // ContentBlockSource): its images are billed as any other.
  const json = {
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'document',
            source: {
              type: 'content',
              content: [
                { type: 'text', text: 'Figure 1:' },
                {
                  type: 'image',
                  source: {
                    type: 'base64',
                    media_type: 'image/png',
                    data: flatPng(200, 150).toString('base64'),
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  };

  it('are counted as the images of a message are', () => {
    expect(anthropicImageTokensEstimate(json, 'claude-sonnet-4-20250514')).toBe(40);
    expect(anthropicImageTokens(json, 'claude-sonnet-4-20250514')).toBe(48);
  });
});

describe('a base64 image whose long edge is over what the model takes', () => {
  // "If your image's long edge is more than 1568 pixels, or your image is more than ~1,600 tokens, it will first be
  // scaled down, preserving aspect ratio": a long, narrow image (a scrolled page's screenshot) is scaled by its long
  // edge to far fewer tokens than its area at the size sent, and than the largest image.
  it('is estimated at the size its long edge is scaled down to', () => {
    // 3000 × 200 → 1568 × ~104.5: ~219 tokens, not 3000 × 200 / 750 = 800.
    expect(anthropicImageTokensEstimate(onePng(3000, 200), 'claude-sonnet-4-20250514')).toBe(219);
    // Claude Opus 4.7 takes 2576 px: 2576 × ~171.7 / 750 = ~590.
    expect(anthropicImageTokensEstimate(onePng(3000, 200), 'claude-opus-4-7')).toBe(590);
    // 1280 × 8000 (a full-page screenshot) → ~251 × 1568: ~525 tokens, not the largest image's ~1,600.
    expect(anthropicImageTokensEstimate(onePng(1280, 8000), 'claude-sonnet-4-20250514')).toBe(525);
  });
});
