import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, kindOf, walk } from '../find-files.js';
import { expandHome } from '../path-parts.js';

/**
 * Qwen Code's runtime folder, where it keeps sessions: `$QWEN_RUNTIME_DIR` when set, else its home, `$QWEN_HOME` when
 * set, else `~/.qwen` (QwenLM/qwen-code packages/core/src/config/storage.ts `Storage.getRuntimeBaseDir` and
 * `getGlobalQwenDir`; a leading `~` is expanded, as Qwen Code does). Its `runtimeOutputDir` setting, read from
 * settings.json, can move the folder too: give that folder by hand.
 */
export function qwenRuntimeDir(env: Env, home: string): string {
  const runtime = env.QWEN_RUNTIME_DIR?.trim();
  if (runtime) return expandHome(runtime, home);
  const qwenHome = env.QWEN_HOME?.trim();
  if (qwenHome) return expandHome(qwenHome, home);
  return resolve(join(home, '.qwen'));
}

/**
 * `<runtime folder>/projects`: one folder per project, named after its path with every character other than a
 * letter or digit turned into `-` (`-home-ana-shop`), holding `chats/<session id>.jsonl` (storage.ts
 * `getProjectDir`, utils/paths.ts `sanitizeCwd`, services/chatRecordingService.ts `ensureConversationFile`).
 */
export function qwenProjectsDir(env: Env, home: string): string {
  return join(qwenRuntimeDir(env, home), 'projects');
}
/** Every chat recording is a `.jsonl`; other `.jsonl` files found this way hold no assistant usage and yield nothing. */
const CHAT_FILE = /\.jsonl$/i;

/**
 * Finds `**\/*.jsonl` under each root: `dirs` when given (a runtime folder with a `projects/` folder, a projects
 * folder, one project's folder, a chats folder, or single files), else `qwenProjectsDir`.
 *
 * @example
 * const { files } = await findQwenCodeFiles({ env: process.env, home: os.homedir() });
 */
export function findQwenCodeFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  return discover(
    opts.dirs,
    () => [qwenProjectsDir(opts.env, opts.home)],
    async (root, explicit, files, unreadable) => {
      // A runtime folder given by hand: only its projects, not its debug logs, history or todos.
      const projects = join(root, 'projects');
      const dir = explicit && (await kindOf(projects)) === 'dir' ? projects : root;
      await walk(dir, files, ACCEPT, unreadable);
    },
  );
}

const ACCEPT = (n: string): boolean => CHAT_FILE.test(n);
