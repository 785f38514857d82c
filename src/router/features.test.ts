import { describe, expect, it } from 'vitest';
import { featuresOf } from './features.js';

const sorted = (p: string) => [...featuresOf(p).index].sort((a, b) => a - b);

describe('featuresOf', () => {
  it('reads words and word pairs, whatever their case, with the bias and a length bucket', () => {
    const f = featuresOf('Solve for x');
    // bias + 3 words + 2 pairs + length
    expect(f.index.length).toBe(7);
    expect(f.value).toBeCloseTo(1 / Math.sqrt(7));
    expect(sorted('SOLVE FOR X')).toEqual(sorted('solve for x'));
  });

  it('keeps word order in the pairs, and counts a repeated word once', () => {
    expect(sorted('dog bites man')).not.toEqual(sorted('man bites dog'));
    expect(featuresOf('yes yes yes').index.length).toBe(4); // bias, "yes", "yes yes", length
  });

  it('reads words of any script, and punctuation as words of its own', () => {
    expect(featuresOf('日本語 テキスト').index.length).toBeGreaterThan(3);
    expect(sorted('2 + 2 = ?')).not.toEqual(sorted('2 2'));
  });
});
