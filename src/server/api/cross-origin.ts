import type { IncomingMessage } from 'node:http';

/**
 * Whether a browser sent this change from a page of another origin: a method that changes something, and an
 * `Origin` header (browsers send one with every such request, `null` from sandboxed or redirected pages) whose host
 * is not the one the request was sent to. The session cookie's SameSite=Strict does not cover this: a site is the
 * host without its port, so any other page on 127.0.0.1 (a dev server, a notebook) is the same site, and a
 * text/plain POST needs no CORS preflight. Clients that send no Origin (curl, the CLI) are not browsers.
 */
export function crossOriginChange(req: IncomingMessage): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true; // `null`, or anything that is not an origin
  }
  // A proxy in front (TLS, docs/api.md) may send its own Host and the browser's in X-Forwarded-Host; a page cannot
  // set that header on another origin's request without a CORS preflight, which this server never grants.
  const forwarded = String(req.headers['x-forwarded-host'] ?? '')
    .split(',')[0]!
    .trim();
  return host === '' || (host !== req.headers.host && host !== forwarded);
}
