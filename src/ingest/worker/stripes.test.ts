import { describe, expect, it } from 'vitest';
import { firstSkipsInOrder, StripeOrder, stripeCount, stripeOf } from './stripes.js';

describe('stripes', () => {
  it('numbers chunks into stripes, with stripe 0 even for an empty file', () => {
    const s = { workers: 2, stripeChunks: 16 };
    expect([0, 15, 16, 33].map((c) => stripeOf(c, s))).toEqual([0, 0, 1, 2]);
    expect([0, 1, 16, 17, 32].map((c) => stripeCount(c, s))).toEqual([1, 1, 1, 2, 2]);
    const whole = { workers: 1, stripeChunks: Number.POSITIVE_INFINITY };
    expect([stripeOf(1e6, whole), stripeCount(0, whole), stripeCount(1e6, whole)]).toEqual([0, 1, 1]);
  });

  it('hands batches on in file order, stripe by stripe, however they arrive', () => {
    const o = new StripeOrder<string>(2);
    expect(o.batch(0, 1, false, 'f0 s1 a')).toEqual([]);
    expect(o.batch(0, 0, false, 'f0 s0 a')).toEqual(['f0 s0 a']);
    expect(o.batch(0, 2, true, 'f0 s2')).toEqual([]);
    // Stripe 0 ends: stripe 1's first batch follows, but not stripe 2 until stripe 1 has ended too.
    expect(o.batch(0, 0, true, 'f0 s0 b')).toEqual(['f0 s0 b', 'f0 s1 a']);
    expect(o.batch(1, 0, true, 'f1 s0')).toEqual([]);
    expect(o.batch(0, 1, true, 'f0 s1 b')).toEqual(['f0 s1 b', 'f0 s2']);
    // File 1 starts only once file 0 is known to have three stripes.
    expect(o.complete).toBe(false);
    expect(o.fileEnd(0, 3)).toEqual(['f1 s0']);
    expect(o.complete).toBe(false);
    expect(o.fileEnd(1, 1)).toEqual([]);
    expect(o.fileEnd(1, 1)).toEqual([]);
    expect(o.complete).toBe(true);
  });

  it('is not complete while a batch is held for a stripe past the file end it was told', () => {
    const o = new StripeOrder<string>(1);
    o.fileEnd(0, 1);
    expect(o.batch(0, 0, true, 'a')).toEqual(['a']);
    expect(o.complete).toBe(true);
    o.batch(0, 1, true, 'stray');
    expect(o.complete).toBe(false);
  });

  it('merges workers’ first skips in file order', () => {
    const skip = (ref: string) => ({ ref, code: 'SRC_BAD_JSON', reason: 'x' });
    const merged = firstSkipsInOrder(
      [
        {
          skips: [skip('a:3'), skip('a:90'), skip('b:1')],
          at: [
            { file: 0, line: 3 },
            { file: 0, line: 90 },
            { file: 1, line: 1 },
          ],
        },
        {
          skips: [skip('a:40'), skip('a:200')],
          at: [
            { file: 0, line: 40 },
            { file: 0, line: 200 },
          ],
        },
      ],
      4,
    );
    expect(merged.map((s) => s.ref)).toEqual(['a:3', 'a:40', 'a:90', 'a:200']);
  });
});
