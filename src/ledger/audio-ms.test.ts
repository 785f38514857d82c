import { describe, expect, it } from 'vitest';
import { audioMsOfSeconds } from './audio-ms.js';

describe('audioMsOfSeconds', () => {
  it('reads whole and fractional seconds exactly, through their decimal text', () => {
    expect(audioMsOfSeconds(9)).toBe(9000);
    expect(audioMsOfSeconds(0)).toBe(0);
    // 0.1 × 1000 and 1.005 × 1000 in binary floats are not 100 and 1005; their decimal text is.
    expect(audioMsOfSeconds(0.1)).toBe(100);
    expect(audioMsOfSeconds(1.005)).toBe(1005);
    expect(audioMsOfSeconds(12.345)).toBe(12345);
  });

  it('rounds what is finer than a millisecond half to even', () => {
    expect(audioMsOfSeconds(0.0005)).toBe(0);
    expect(audioMsOfSeconds(0.0015)).toBe(2);
    expect(audioMsOfSeconds(2.0004)).toBe(2000);
    expect(audioMsOfSeconds(2.0006)).toBe(2001);
    expect(audioMsOfSeconds(1e-7)).toBe(0);
  });

  it('is null for what is not a duration', () => {
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY, '9', null, undefined, 1e20])
      expect(audioMsOfSeconds(v)).toBeNull();
  });
});
