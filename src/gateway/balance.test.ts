import { describe, expect, it } from 'vitest';
import { Balancer } from './balance.js';

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

  it('leaves a model with no group alone', () => {
    expect(new Balancer({}).next('gpt-4o')).toBeNull();
  });
});
