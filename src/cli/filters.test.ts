import { describe, expect, it } from 'vitest';
import { parseRange } from './filters.js';

describe('parseRange', () => {
  const now = Date.UTC(2026, 10, 28) * 1000;

  it('reads --since inclusive and --until exclusive', () => {
    expect(parseRange({ since: '2026-11', until: '2026-12' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 11, 1) * 1000,
    });
  });

  it('rejects a --since that is not before --until, which could only print an empty report', () => {
    // Swapped bounds read as no spend at all.
    expect(() => parseRange({ since: '2026-12', until: '2026-11' }, now)).toThrow(
      /--since "2026-12" is not before --until "2026-11"/,
    );
    expect(() => parseRange({ since: '2026-11-01', until: '2026-11' }, now)).toThrow(/is not before/);
  });
});
