import { describe, expect, it } from 'vitest';
import { eventId } from '../ledger/event-id.js';
import { callIds } from './call-ids.js';

describe('callIds', () => {
  it('gives the event id the ledger contract derives from the request id', () => {
    for (let i = 0; i < 50; i++) {
      const ids = callIds();
      expect(ids.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids.eventId).toBe(eventId('gateway', ids.requestId));
    }
  });

  it('gives every call its own ids', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => callIds().eventId));
    expect(seen.size).toBe(1000);
  });
});
