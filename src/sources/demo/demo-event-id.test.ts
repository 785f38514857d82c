import { describe, expect, it } from 'vitest';
import { eventId } from '../../ledger/event-id.js';
import { demoEventIds } from './demo-event-id.js';
import { DEMO_DEFAULTS, generateDemo } from './generate.js';

describe('demoEventIds', () => {
  it('computes exactly eventId(source, seed, identity)', () => {
    const fast = demoEventIds('demo', '42');
    for (let i = 0; i < 2000; i++) {
      const identity = `${(i * 2654435761) >>> 0}.${i % 97}`;
      expect(fast(identity)).toBe(eventId('demo', '42', identity));
    }
  });

  it('falls back to eventId when a part would need escaping', () => {
    const ids = demoEventIds('de|mo', '4\\2');
    expect(ids('a.1')).toBe(eventId('de|mo', '4\\2', 'a.1'));
  });

  it('gives demo events the id eventId("demo", seed, "<session>.<call index>")', () => {
    const end = Date.UTC(2025, 10, 21) * 1000;
    const calls = new Map<string, number>();
    let checked = 0;
    for (const e of generateDemo({ ...DEMO_DEFAULTS, people: 20, days: 3, end, ingestedAt: end })) {
      if (e.session_id === null || e.agent !== 'claude-code') continue;
      const call = calls.get(e.session_id) ?? 0;
      calls.set(e.session_id, call + 1);
      // A session that began before the range has lost its first calls; the others number from 0.
      if (e.ts - end < -2.5 * 86_400_000_000) continue;
      expect(e.event_id).toBe(eventId('demo', String(DEMO_DEFAULTS.seed), `${e.session_id}.${call}`));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});
