import { hash, randomUUID } from 'node:crypto';

/**
 * A call's request id (a random UUID) and its event id: exactly `eventId('gateway', requestId)` (src/ledger/event-id.ts),
 * computed with one-shot `crypto.hash` instead of a Hash object, which made the id a few µs of every call. A UUID
 * holds no `|` or `\`, so the parts need no escaping and the hashed text is the same.
 */
export function callIds(): { requestId: string; eventId: string } {
  const requestId = randomUUID();
  return { requestId, eventId: hash('sha256', `gateway|${requestId}`).slice(0, 16) };
}
