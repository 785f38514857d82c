import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, walk } from '../find-files.js';

/**
 * Gemini CLI keeps per-project chat recordings under `<home>/.gemini/tmp`, where its home is `$GEMINI_CLI_HOME` when
 * set, else the user's (google-gemini/gemini-cli packages/core/src/utils/paths.ts `homedir()`, used by
 * `Storage.getGlobalGeminiDir`). `$GEMINI_DATA_DIR` (ours, not Gemini's) names the tmp folder itself.
 */
export function geminiDataDir(env: Env, home: string): string {
  const fromEnv = env.GEMINI_DATA_DIR?.trim();
  if (fromEnv) return resolve(fromEnv);
  const cliHome = env.GEMINI_CLI_HOME?.trim();
  return resolve(join(cliHome ? cliHome : home, '.gemini', 'tmp'));
}

/** Chat recordings are `.json` documents (older versions) or `.jsonl` logs (newer); both may sit side by side. */
const CHAT_FILE = /\.jsonl?$/i;

/**
 * Finds `**\/*.json` and `**\/*.jsonl` under each root: `dirs` when given (folders or single files), else
 * `geminiDataDir`. Non-chat JSON files found this way (logs.json, checkpoints) parse to no events.
 *
 * @example
 * const { files } = await findGeminiCliFiles({ env: process.env, home: os.homedir() });
 */
export function findGeminiCliFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  return discover(
    opts.dirs,
    () => [geminiDataDir(opts.env, opts.home)],
    (root, _explicit, files, unreadable) => walk(root, files, ACCEPT, unreadable),
  );
}

const ACCEPT = (n: string): boolean => CHAT_FILE.test(n);
