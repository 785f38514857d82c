import { join, resolve } from 'node:path';

/**
 * The last segment of a path as an agent wrote it, `/` or `\` separated whatever the machine reading it: the
 * project of a working folder (`/home/ana/shop/` → `shop`). Null for a path with no segment.
 */
export function lastSegment(path: string): string | null {
  return (
    path
      .split(/[\\/]/)
      .filter((p) => p !== '')
      .at(-1) ?? null
  );
}

/** An agent's folder from its environment variable, a leading `~` read as the home folder, as the agents do. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return resolve(home);
  if (path.startsWith('~/') || path.startsWith('~\\')) return resolve(join(home, path.slice(2)));
  return resolve(path);
}
