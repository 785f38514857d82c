import { describe, expect, it } from 'vitest';
import { parseRange } from './query-input.js';

describe('parseRange (the API, and the CLI commands that ask it: runaways, anomalies)', () => {
  const now = Date.UTC(2026, 10, 28) * 1000;

  it('reads a compact --until date as the CLI does, including that day (ccusage syntax, ccusage meaning)', () => {
    expect(parseRange({ since: '20261101', until: '20261130' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 11, 1) * 1000,
    });
    expect(parseRange({ since: '2026-11-01', until: '2026-11-30' }, now)).toEqual({
      since: Date.UTC(2026, 10, 1) * 1000,
      until: Date.UTC(2026, 10, 30) * 1000,
    });
  });
});
