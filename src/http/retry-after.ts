/**
 * A `retry-after` header's wait in milliseconds (RFC 9110 §10.2.3: delay-seconds or an HTTP date, a date past
 * being no wait); null when there is none or it is neither.
 */
export function retryAfterMs(h: string | string[] | null | undefined, now = Date.now()): number | null {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v === null) return null;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  // An HTTP date names its month; Date.parse alone takes "-5" for a year.
  const at = /[A-Za-z]/.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
