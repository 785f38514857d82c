import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, kindOf, walk } from '../find-files.js';

/** Codex keeps everything under `$CODEX_HOME`, default `~/.codex` (as the Codex CLI itself resolves it). */
export function codexHome(env: Env, home: string): string {
  const fromEnv = env.CODEX_HOME?.trim();
  return resolve(fromEnv ? fromEnv : join(home, '.codex'));
}

/**
 * Codex names every session log `rollout-<time>-<uuid>.jsonl`, compressed in place to `….jsonl.zst` once a week old
 * (openai/codex codex-rs/rollout/src/compression.rs); other files under the folders are not usage.
 */
const ROLLOUT = /^rollout-.*\.jsonl(\.zst)?$/;
const SUBFOLDERS = ['sessions', 'archived_sessions'];

/**
 * Finds `sessions/**\/rollout-*.jsonl` and `archived_sessions/**\/rollout-*.jsonl` under each root: `dirs` when
 * given (a Codex home, a sessions folder, or single files), else `$CODEX_HOME`.
 *
 * @example
 * const { files } = await findCodexFiles({ env: process.env, home: os.homedir() });
 */
export async function findCodexFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  const found = await discover(
    opts.dirs,
    () => [codexHome(opts.env, opts.home)],
    async (root, explicit, files, unreadable) => {
      let any = false;
      for (const sub of SUBFOLDERS) {
        const dir = join(root, sub);
        if ((await kindOf(dir)) !== 'dir') continue;
        any = true;
        await walk(dir, files, ACCEPT, unreadable);
      }
      // A folder given by hand that is itself a sessions folder (or any folder of rollouts).
      if (!any && explicit) await walk(root, files, ACCEPT, unreadable);
    },
  );
  // While Codex compresses or re-opens a rollout both forms exist for a moment; like Codex, read the plain one.
  const all = new Set(found.files);
  return {
    ...found,
    files: found.files.filter((f) => !(f.endsWith('.zst') && all.has(f.slice(0, -'.zst'.length)))),
  };
}

const ACCEPT = (n: string): boolean => ROLLOUT.test(n);
