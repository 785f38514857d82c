import { join, resolve } from 'node:path';
import { kindOf, walk } from '../find-files.js';

/** Environment variables the discovery reads; the CLI passes `process.env`, tests a literal. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Discovery {
  /** Directories searched, in order. */
  roots: string[];
  /** Chat files found, sorted, each once. */
  files: string[];
  /** Roots that do not exist (reported, not an error). */
  missing: string[];
  /** Folders under the roots that could not be listed (permissions): their logs were not found. */
  unreadable: string[];
}

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
export async function findGeminiCliFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  const explicit = opts.dirs !== undefined && opts.dirs.length > 0;
  const roots = explicit
    ? [...new Set(opts.dirs!.map((d) => resolve(d)))]
    : [geminiDataDir(opts.env, opts.home)];
  const files = new Set<string>();
  const missing: string[] = [];
  const unreadable: string[] = [];
  for (const root of roots) {
    const kind = await kindOf(root);
    if (kind === null) missing.push(root);
    else if (kind === 'file') files.add(root);
    else await walk(root, files, ACCEPT, unreadable);
  }
  return { roots, files: [...files].sort(), missing, unreadable };
}

const ACCEPT = (n: string): boolean => CHAT_FILE.test(n);
