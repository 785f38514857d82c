import { createHash } from 'node:crypto';
import { TZDate } from '@date-fns/tz';
// One module per function: date-fns's index loads all of its ~250 functions (~7 MB of RSS in the gateway).
import { addDays } from 'date-fns/addDays';
import { addMonths } from 'date-fns/addMonths';
import { addWeeks } from 'date-fns/addWeeks';
import { startOfDay } from 'date-fns/startOfDay';
import { startOfMonth } from 'date-fns/startOfMonth';
import { startOfWeek } from 'date-fns/startOfWeek';
import { type Budget, formatPeriod } from './budget.js';

/** The stretch of time a budget's spend is counted over, and the counter keys that hold it. */
export interface BudgetWindow {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  /** Counter keys, newest first: one for a calendar period, one per hour for a rolling one. */
  keys: string[];
  /**
   * When spend next goes down. Calendar: the end of the period. Rolling: `end`, the next UTC hour, when the window
   * moves on by one bucket and its oldest hour leaves it (that hour may hold nothing, so this is the earliest possible
   * relief, not a promise). Not `start + 1h`: that hour is already past, so a refused call would be told to retry at
   * once.
   */
  resetsAt: number;
  /** How long the newest key must live: until it leaves the window, plus an hour of slack for clock skew. */
  ttlSeconds: number;
}

export const HOUR_MS = 3_600_000;
const SLACK_SECONDS = 3600;

/**
 * `tl:b:<counter id>:<bucket start, ISO-8601 UTC>`: shared by every gateway instance, so the format is stable.
 */
export function counterKey(counterId: string, bucketStartMs: number): string {
  return `tl:b:${counterId}:${new Date(bucketStartMs).toISOString()}`;
}

/**
 * What a budget's counters are named by: its id and a digest of what decides which spend they hold (scope, period,
 * time zone). A budget changed in any of these (over the API or the CLI while the server runs, or in the config file
 * across a restart with counters in Redis) counts in new keys, seeded from the ledger as a new budget's are, instead
 * of keys holding another scope's spend or none of its window's. A new limit, action or thresholds keep the keys.
 */
export function counterId(b: Pick<Budget, 'id' | 'scope' | 'period' | 'tz'>): string {
  const scope = Object.entries(b.scope).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const digest = createHash('sha256')
    .update(JSON.stringify([scope, formatPeriod(b.period), b.tz]))
    .digest('hex')
    .slice(0, 8);
  return `${b.id}:${digest}`;
}

/**
 * The window a budget counts at `nowMs`. Calendar periods start at midnight, on ISO Monday or on the 1st in the
 * budget's time zone, so a daily budget in Europe/Berlin has a 23-hour day in March and a 25-hour one in October.
 * Rolling periods are `days × 24` hourly buckets aligned to UTC hours (every IANA zone in use is a whole number of
 * hours from UTC except a few at :30/:45; for those the buckets are still UTC hours, which only shifts the edge).
 * Pure.
 */
export function budgetWindow(b: Pick<Budget, 'id' | 'scope' | 'period' | 'tz'>, nowMs: number): BudgetWindow {
  const p = b.period;
  const id = counterId(b);
  if (p.kind === 'rolling') {
    const newest = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
    const n = p.days * 24;
    const keys: string[] = new Array(n);
    for (let i = 0; i < n; i++) keys[i] = counterKey(id, newest - i * HOUR_MS);
    const start = newest - (n - 1) * HOUR_MS;
    const end = newest + HOUR_MS;
    return {
      start,
      end,
      keys,
      resetsAt: end,
      ttlSeconds: Math.ceil((end + (n - 1) * HOUR_MS - nowMs) / 1000) + SLACK_SECONDS,
    };
  }
  const local = new TZDate(nowMs, b.tz);
  let s: Date;
  let e: Date;
  switch (p.kind) {
    case 'daily':
      s = startOfDay(local);
      e = startOfDay(addDays(s, 1));
      break;
    case 'weekly':
      s = startOfWeek(local, { weekStartsOn: 1 });
      e = startOfWeek(addWeeks(s, 1), { weekStartsOn: 1 });
      break;
    case 'monthly':
      s = startOfMonth(local);
      e = startOfMonth(addMonths(s, 1));
      break;
    default:
      return p satisfies never;
  }
  const start = s.getTime();
  const end = e.getTime();
  return {
    start,
    end,
    keys: [counterKey(id, start)],
    resetsAt: end,
    ttlSeconds: Math.ceil((end - nowMs) / 1000) + SLACK_SECONDS,
  };
}
