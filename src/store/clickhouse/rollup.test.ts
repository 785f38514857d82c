import { describe, expect, it } from 'vitest';
import { aroundDays } from './rollup.js';

const DAY = 86_400_000_000;
const d = (n: number) => n * DAY;

describe('aroundDays: what a read takes from the events, around the days a day table answers', () => {
  it('leaves the gaps between fresh days, and the range before and after them', () => {
    expect(aroundDays({ from: d(1) + 5, to: d(9) - 7 }, [d(2), d(3), d(6)])).toEqual([
      { from: d(1) + 5, to: d(2) },
      { from: d(4), to: d(6) },
      { from: d(7), to: d(9) - 7 },
    ]);
  });

  it('leaves nothing where fresh days cover the range to its ends', () => {
    expect(aroundDays({ from: d(2), to: d(4) }, [d(2), d(3)])).toEqual([]);
  });

  it('keeps an open end open', () => {
    expect(aroundDays({}, [d(2)])).toEqual([
      { from: undefined, to: d(2) },
      { from: d(3), to: undefined },
    ]);
    expect(aroundDays({ to: d(5) }, [])).toEqual([{ from: undefined, to: d(5) }]);
    expect(aroundDays({}, [])).toEqual([{ from: undefined, to: undefined }]);
  });
});
