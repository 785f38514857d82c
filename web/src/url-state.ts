import { useEffect, useState } from 'preact/hooks';
import { TIME_ZONE } from './format';

/**
 * The URL is the page's state (path + query), so any view can be shared or bookmarked. Navigation pushes history;
 * back and forward re-render.
 */
export function useLocation(): URL {
  const [, set] = useState(0);
  useEffect(() => {
    const on = () => set((n) => n + 1);
    addEventListener('popstate', on);
    addEventListener('tl-navigate', on);
    return () => {
      removeEventListener('popstate', on);
      removeEventListener('tl-navigate', on);
    };
  }, []);
  return new URL(location.href);
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new Event('tl-navigate'));
  if (!replace) scrollTo(0, 0);
}

/** Sets (or, with null, removes) query parameters of the current page. */
export function setParams(changes: Record<string, string | string[] | null>, replace = false): void {
  const u = new URL(location.href);
  for (const [k, v] of Object.entries(changes)) {
    u.searchParams.delete(k);
    if (v === null) continue;
    for (const x of Array.isArray(v) ? v : [v]) u.searchParams.append(k, x);
  }
  navigate(`${u.pathname}${u.search}`, replace);
}

/** The range a page shows when the URL names none. */
export const DEFAULT_SINCE = '30d';

/** Where the viewer's choice of days (UTC's or the browser's zone's) is kept across pages and visits. */
const DAYS_KEY = 'tokenledger.days';

/**
 * The time zone whose days the pages show, or null for UTC's: a link's own `tz`, else the viewer's choice of the
 * browser's zone (the Days control). UTC days are the default: they are the ledger's daily rollups, which a local
 * day, straddling two of them, cannot be read from (docs/dashboard.md).
 */
export function dayZone(u: URL): string | null {
  const tz = u.searchParams.get('tz');
  if (tz) return tz;
  return localDaysChosen() && TIME_ZONE !== 'UTC' ? TIME_ZONE : null;
}

function localDaysChosen(): boolean {
  try {
    return localStorage.getItem(DAYS_KEY) === 'local';
  } catch {
    return false; // storage refused (a sandboxed frame): UTC days
  }
}

/** Shows days of `zone` (null: UTC's), on this page and, remembered, on the next. */
export function chooseDays(zone: string | null): void {
  try {
    if (zone === TIME_ZONE) localStorage.setItem(DAYS_KEY, 'local');
    else localStorage.removeItem(DAYS_KEY);
  } catch {}
  setParams({ tz: zone }, true);
}

/** Range and filters shared by every page, taken from the URL (`fallback`: the page's default range). */
export function rangeOf(u: URL, fallback = DEFAULT_SINCE): URLSearchParams {
  const p = new URLSearchParams();
  p.set('since', u.searchParams.get('since') ?? fallback);
  const until = u.searchParams.get('until');
  if (until) p.set('until', until);
  const tz = dayZone(u);
  if (tz) p.set('tz', tz);
  for (const w of u.searchParams.getAll('where')) p.append('where', w);
  return p;
}

/** Intercepts clicks on same-origin links so the app routes without a reload. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as HTMLElement).closest('a');
  if (!a || a.target || a.hasAttribute('download') || e.ctrlKey || e.metaKey || e.shiftKey) return;
  const href = a.getAttribute('href');
  if (!href?.startsWith('/') || href.startsWith('/api/')) return;
  e.preventDefault();
  navigate(href);
}
