/** Finding log files on disk, shared by the agent-log sources' paths.ts (which must not import one another). */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Environment variables a discovery reads; the CLI passes `process.env`, tests a literal. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where an agent's logs were looked for, and what was found. */
export interface Discovery {
  /** Directories searched, in order. */
  roots: string[];
  /** Log files found, sorted, each once. */
  files: string[];
  /** Roots that do not exist (reported, not an error: a user may have only one of the default folders). */
  missing: string[];
  /** Folders under the roots that could not be listed (permissions): their logs were not found. */
  unreadable: string[];
}

/**
 * Finds an agent's logs: under `dirs` when given (each resolved, each once: folders or single files), else under
 * the agent's `defaults`. A root that is a file is taken as it is, a root that does not exist is reported, and a
 * folder is searched by `searchFolder`, told whether the user named it (`explicit`) or it is a default folder.
 */
export async function discover(
  dirs: readonly string[] | undefined,
  defaults: () => string[],
  searchFolder: (root: string, explicit: boolean, files: Set<string>, unreadable: string[]) => Promise<void>,
): Promise<Discovery> {
  const explicit = dirs !== undefined && dirs.length > 0;
  const roots = explicit ? [...new Set(dirs.map((d) => resolve(d)))] : defaults();
  const files = new Set<string>();
  const missing: string[] = [];
  const unreadable: string[] = [];
  for (const root of roots) {
    const kind = await kindOf(root);
    if (kind === null) missing.push(root);
    else if (kind === 'file') files.add(root);
    else await searchFolder(root, explicit, files, unreadable);
  }
  return { roots, files: [...files].sort(), missing, unreadable };
}

export async function kindOf(path: string): Promise<'file' | 'dir' | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/**
 * Depth-first walk adding files whose name `accept`s to `out`; symlinked folders are not followed, so a link cycle
 * cannot loop (a symlinked file is followed). A folder that cannot be listed (permissions) is added to
 * `unreadable`, for the caller to report: the logs in it would otherwise be missing without a word.
 */
export async function walk(
  dir: string,
  out: Set<string>,
  accept: (name: string) => boolean,
  unreadable: string[],
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    // A folder removed since its parent was listed held nothing to miss.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') unreadable.push(dir);
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out, accept, unreadable);
    else if (accept(e.name) && (e.isFile() || (await kindOf(path)) === 'file')) out.add(path);
  }
}
