/** The dashboard's session cookie (server/api/auth.ts), set by `tokenledger serve` on its own host. */
export const SESSION_COOKIE = 'tl_session';

/**
 * A `Cookie` header without the dashboard's session, or null when nothing else is left. A browser sends every
 * cookie of a host with a call to the gateway on it (a page's fetch with credentials: 'include', a form post), and
 * the session is a sign-in to this server: an upstream, maybe a third party's, must never get it. The caller's
 * other cookies are theirs to send.
 */
export function withoutSessionCookie(header: string): string | null {
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part.slice(0, part.indexOf('=')).trim() !== SESSION_COOKIE);
  return kept.length === 0 ? null : kept.join('; ');
}
