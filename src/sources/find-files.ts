/** Finding log files on disk, shared by the agent-log sources' paths.ts (which must not import one another). */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

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
