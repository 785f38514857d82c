import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Where `vite build web` put the dashboard: dist/web beside the compiled server (dist/server/static.js → ../web),
 * or, when the server runs from source under tsx, the repository's dist/web.
 */
function defaultWebDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const compiled = join(here, '..', 'web');
  return existsSync(join(compiled, 'index.html')) ? compiled : join(here, '..', '..', 'dist', 'web');
}

/**
 * The dashboard's own routes (web/src/main.tsx's PAGES, which static.test.ts keeps in step); any other unknown path
 * stays a 404 from the server.
 */
export const PAGES = new Set(['/', '/explore', '/events', '/budgets', '/sessions', '/roi']);

interface Cached {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

/**
 * No page may show the dashboard in a frame: one on another port of this host counts as the same site, and could lay
 * its own buttons over the budget buttons of an admin signed in (clickjacking).
 */
const NOT_FRAMED = { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" };

/**
 * Serves the built dashboard at `/`: files from `dir`, and index.html for the dashboard's pages (it routes in the
 * browser, so /explore?… is shareable). Hashed assets are cached for a year; files are
 * read and gzipped once and kept in memory (the whole dashboard is a few hundred kB).
 */
export function createStaticHandler(dir: string = defaultWebDir()) {
  const cache = new Map<string, Cached | null>();

  /**
   * Whether the file is really in `dir`: the path check above reads names only, and a symbolic link in the folder
   * would take it anywhere the server's user may read. Both sides resolved, so a `dir` reached through a link works.
   */
  function inside(file: string): boolean {
    return realpathSync(file).startsWith(realpathSync(dir) + sep);
  }

  function load(rel: string): Cached | null {
    const cached = cache.get(rel);
    if (cached !== undefined) return cached;
    const file = normalize(join(dir, rel));
    let hit: Cached | null = null;
    if (file.startsWith(dir + sep) && existsSync(file) && statSync(file).isFile() && inside(file)) {
      const body = readFileSync(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      hit = { body, type, gzip: /text|json|svg/.test(type) && body.length > 1024 ? gzipSync(body) : null };
    }
    // Only hits are cached: caching misses would let any client grow this map with made-up paths.
    if (hit !== null) cache.set(rel, hit);
    return hit;
  }

  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path.startsWith('/api/') || path.startsWith('/v1/')) return false;
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return false; // malformed %-escapes: not one of our files
    }
    if (PAGES.has(rel)) rel = '/index.html';
    const f = load(rel);
    if (f === null) {
      if (rel !== '/index.html') return false;
      const body = `<!doctype html><title>tokenledger</title><p>The dashboard is not built: run <code>npm run build</code>. The API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>`;
      res.writeHead(200, { 'content-type': TYPES['.html']!, ...NOT_FRAMED }).end(body);
      return true;
    }
    const gz = f.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gz ? f.gzip! : f.body;
    res.writeHead(200, {
      'content-type': f.type,
      'content-length': body.length,
      'cache-control': rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'accept-encoding',
      ...(gz ? { 'content-encoding': 'gzip' } : {}),
      ...NOT_FRAMED,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
