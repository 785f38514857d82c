import { describe, expect, it } from 'vitest';
import { partOf, unitOf } from './split.js';

describe('partOf', () => {
  it('puts an id in the same part every time, and about 70/10/20 of many ids in train/validation/test', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `case-${i}`);
    const count = { train: 0, validation: 0, test: 0 };
    for (const id of ids) count[partOf(id)]++;
    expect(count.train / ids.length).toBeCloseTo(0.7, 1);
    expect(count.validation / ids.length).toBeCloseTo(0.1, 1);
    expect(count.test / ids.length).toBeCloseTo(0.2, 1);
    expect(ids.map(partOf)).toEqual(ids.map(partOf));
    // Fixed by sha256, not by anything of this process: the same on every machine.
    expect(['gsm8k-0', 'gsm8k-1', 'gsm8k-2', 'gsm8k-3', 'gsm8k-4'].map(partOf)).toMatchInlineSnapshot(`
      [
        "train",
        "train",
        "test",
        "test",
        "validation",
      ]
    `);
  });
});

describe('unitOf', () => {
  it('is a number in [0, 1) fixed by the id', () => {
    const u = Array.from({ length: 1000 }, (_, i) => unitOf(String(i)));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(unitOf('x')).toBe(unitOf('x'));
  });
});
