import { describe, expect, it } from 'vitest';
import { Balancer, MAX_REST_MS, REST_MS } from './balance.js';

const firsts = (b: Balancer, model: string, n: number) => Array.from({ length: n }, () => b.next(model)![0]);

describe('Balancer', () => {
  it('takes each target its weight of every run of total-weight calls, spread out, the others next in order', () => {
    const b = new Balancer({
      'gpt-4o': [
        { model: 'eu/gpt-4o', weight: 3 },
        { model: 'us/gpt-4o', weight: 1 },
      ],
    });
    expect(firsts(b, 'gpt-4o', 8)).toEqual([
      'eu/gpt-4o',
      'eu/gpt-4o',
      'us/gpt-4o',
      'eu/gpt-4o',
      'eu/gpt-4o',
      'eu/gpt-4o',
      'us/gpt-4o',
      'eu/gpt-4o',
    ]);
    // The target it goes to first, then the rest as fallbacks.
    expect(b.next('gpt-4o')).toEqual(['eu/gpt-4o', 'us/gpt-4o']);
    expect(b.next('gpt-4o')).toEqual(['eu/gpt-4o', 'us/gpt-4o']);
    expect(b.next('gpt-4o')).toEqual(['us/gpt-4o', 'eu/gpt-4o']);
  });

  it('spreads equal weights in turn, and counts exactly over any window of the weights’ total', () => {
    const b = new Balancer({
      m: [
        { model: 'a', weight: 2 },
        { model: 'b', weight: 5 },
        { model: 'c', weight: 3 },
      ],
      even: [
        { model: 'x', weight: 1 },
        { model: 'y', weight: 1 },
        { model: 'z', weight: 1 },
      ],
    });
    expect(firsts(b, 'even', 6)).toEqual(['x', 'y', 'z', 'x', 'y', 'z']);
    const picks = firsts(b, 'm', 40);
    for (let start = 0; start + 10 <= 40; start += 10) {
      const window = picks.slice(start, start + 10);
      expect(['a', 'b', 'c'].map((t) => window.filter((p) => p === t).length)).toEqual([2, 5, 3]);
    }
    // Never the heaviest twice in a row more than its share calls for: b's five of ten are not one burst.
    expect(picks.slice(0, 10).join('')).not.toContain('bbb');
  });

  it('lets a target that refused a call rest: the others share its turns and it is tried last, until its time is up', () => {
    const b = new Balancer({
      m: [
        { model: 'a', weight: 1 },
        { model: 'b', weight: 1 },
        { model: 'c', weight: 1 },
      ],
    });
    const t0 = 1_000_000;
    expect(b.next('m', t0)).toEqual(['a', 'b', 'c']);
    // a answered 429 with retry-after: 2 (seconds).
    b.rest('m', 'a', 2000, t0);
    const during = [1, 2, 3, 4].map((s) => b.next('m', t0 + s * 100)!);
    expect(during.map((o) => o[0])).toEqual(['b', 'c', 'b', 'c']);
    expect(during.map((o) => o.at(-1))).toEqual(['a', 'a', 'a', 'a']);
    // Rested: its turns again.
    expect([0, 1, 2].map(() => b.next('m', t0 + 2000)![0]).sort()).toEqual(['a', 'b', 'c']);
    // Without a retry-after it rests REST_MS; a long one is cut to MAX_REST_MS, after which it is tried again.
    const resting = (ms: number | null, at: number) => {
      const fresh = new Balancer({
        n: [
          { model: 'x', weight: 1 },
          { model: 'y', weight: 1 },
        ],
      });
      fresh.rest('n', 'x', ms, t0);
      return fresh.next('n', at);
    };
    expect(resting(null, t0 + REST_MS - 1)).toEqual(['y', 'x']);
    expect(resting(null, t0 + REST_MS)).toEqual(['x', 'y']);
    expect(resting(3_600_000, t0 + MAX_REST_MS - 1)).toEqual(['y', 'x']);
    expect(resting(3_600_000, t0 + MAX_REST_MS)).toEqual(['x', 'y']);
    // All resting: each is still tried, in turn.
    const all = new Balancer({
      n: [
        { model: 'x', weight: 1 },
        { model: 'y', weight: 1 },
      ],
    });
    all.rest('n', 'x', null, t0);
    all.rest('n', 'y', null, t0);
    expect([all.next('n', t0 + 1)![0], all.next('n', t0 + 2)![0]]).toEqual(['x', 'y']);
  });

  it('leaves a model with no group alone', () => {
    expect(new Balancer({}).next('gpt-4o')).toBeNull();
  });
});
