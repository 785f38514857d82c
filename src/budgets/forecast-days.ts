import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns/addDays';
import { startOfDay } from 'date-fns/startOfDay';

/** One local calendar day in a time zone: its date and the instants it starts and ends (23 h or 25 h across DST). */
export interface LocalDay {
  /** YYYY-MM-DD in the zone. */
  date: string;
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

export function localDate(ms: number, tz: string): string {
  const d = new TZDate(ms, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The local day `ms` falls in. */
export function localDay(ms: number, tz: string): LocalDay {
  const s = startOfDay(new TZDate(ms, tz));
  const e = startOfDay(addDays(s, 1));
  return { date: localDate(s.getTime(), tz), start: s.getTime(), end: e.getTime() };
}

/** Local days overlapping [fromMs, toMs), oldest first. */
export function localDays(fromMs: number, toMs: number, tz: string): LocalDay[] {
  const out: LocalDay[] = [];
  for (let d = localDay(fromMs, tz); d.start < toMs; d = localDay(d.end, tz)) out.push(d);
  return out;
}

/** Days since 1970-01-01 of a YYYY-MM-DD date: calendar arithmetic without zones. */
export function dayNumber(date: string): number {
  return (
    Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000
  );
}

/** 0 = Sunday … 6 = Saturday, of a YYYY-MM-DD date. */
export function weekdayOf(date: string): number {
  return (((dayNumber(date) + 4) % 7) + 7) % 7;
}

export function dateOfDayNumber(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}
