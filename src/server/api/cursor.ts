import type { UsageEvent } from '../../ledger/event.js';
import type { Cursor } from '../../store/event-range.js';
import { badParam } from './api-error.js';

/** A cursor (store/event-range.ts) as the API gives it: opaque to clients (base64url JSON). */
export function encodeCursor(e: Pick<UsageEvent, 'ts' | 'event_id'>): string {
  return Buffer.from(JSON.stringify([e.ts, e.event_id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      Number.isSafeInteger(v[0]) &&
      typeof v[1] === 'string' &&
      /^[0-9a-f]{16}$/.test(v[1])
    )
      return { ts: v[0], id: v[1] };
  } catch {}
  throw badParam(
    'cursor',
    'not a cursor this API returned; pass next_cursor from the previous page unchanged',
  );
}
