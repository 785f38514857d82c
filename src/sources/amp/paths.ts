import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, kindOf, walk } from '../find-files.js';

/**
 * Amp's data folder: `<data home>/amp`, where the data home is `$AMP_DATA_HOME` when set, else `$XDG_DATA_HOME` on
 * Linux when set, else `~/.local/share` (on macOS and Windows too). That is Amp's `core/src/common/dirs.ts` as
 * sourcegraph/amp.nvim `lua/amp/lockfile.lua` restates it. `$AMP_DATA_DIR` (ccusage's, kept for its users) names the
 * amp folder itself, the one holding `threads/`.
 */
export function ampDataDir(env: Env, home: string, platform: string = process.platform): string {
  const dir = env.AMP_DATA_DIR?.trim();
  if (dir) return resolve(dir);
  const dataHome = env.AMP_DATA_HOME?.trim();
  if (dataHome) return resolve(dataHome, 'amp');
  const xdg = env.XDG_DATA_HOME?.trim();
  if (xdg && platform !== 'darwin' && platform !== 'win32') return resolve(xdg, 'amp');
  return resolve(join(home, '.local', 'share', 'amp'));
}

/** Each thread is `threads/T-<uuid>.json`; other files there (temporary copies while Amp saves) are not threads. */
const THREAD = /\.json$/i;

/**
 * Finds `threads/**\/*.json` under each root: `dirs` when given (an amp data folder, a threads folder, or single
 * files), else `ampDataDir`.
 *
 * @example
 * const { files } = await findAmpFiles({ env: process.env, home: os.homedir() });
 */
export function findAmpFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
  platform?: string;
}): Promise<Discovery> {
  return discover(
    opts.dirs,
    () => [ampDataDir(opts.env, opts.home, opts.platform)],
    async (root, explicit, files, unreadable) => {
      const threads = join(root, 'threads');
      if ((await kindOf(threads)) === 'dir') await walk(threads, files, ACCEPT, unreadable);
      // A folder given by hand that is itself a threads folder (or any folder of thread files).
      else if (explicit) await walk(root, files, ACCEPT, unreadable);
    },
  );
}

const ACCEPT = (n: string): boolean => THREAD.test(n);
