import { describe, expect, it } from 'vitest';
import { MIN_RAW_RETENTION_DAYS } from '../../src/gateway/config-schema.js';
import { parseTimeBound } from '../../src/ledger/time.js';
import { RANGE_PRESETS } from '../../web/src/range-presets.js';

describe("the dashboard's range presets", () => {
  it('reach no further back than the least raw retention a server takes, so every page reads single calls', () => {
    const now = Date.now() * 1000;
    const days = RANGE_PRESETS.map(([since]) => (now - parseTimeBound(since, now)) / 86_400_000_000);
    expect(Math.max(...days)).toBeLessThanOrEqual(MIN_RAW_RETENTION_DAYS);
  });
});
