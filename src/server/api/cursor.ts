import type { UsageEvent } from '../../ledger/event.js';
import { badParam } from './api-error.js';

/**
 * Events are listed newest first by (ts, event_id), both descending. A cursor is the last (ts, event_id) a page
 * showed; the next page is everything strictly after it in that order. Opaque to clients (base64url JSON).
 */
export interface Cursor {
  ts: number;
  id: string;
}

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

/** Whether `e` comes strictly after the cursor in (ts desc, event_id desc) order. */
export function isAfter(e: Pick<UsageEvent, 'ts' | 'event_id'>, c: Cursor): boolean {
  return e.ts < c.ts || (e.ts === c.ts && e.event_id < c.id);
}
