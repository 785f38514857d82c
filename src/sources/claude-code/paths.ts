import { join, resolve } from 'node:path';
import { kindOf, walk } from '../find-files.js';

/** Environment variables the discovery reads; the CLI passes `process.env`, tests a literal. */
export type Env = Readonly<Record<string, string | undefined>>;

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
 * Claude Code's config folders: `$CLAUDE_CONFIG_DIR` (comma-separated list allowed, as Claude Code and ccusage
 * accept), else both `~/.config/claude` (newer versions) and `~/.claude` (older ones), since a machine that
 * upgraded can hold logs in both.
 */
export function claudeConfigDirs(env: Env, home: string): string[] {
  const fromEnv = (env.CLAUDE_CONFIG_DIR ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  const dirs = fromEnv.length > 0 ? fromEnv : [join(home, '.config', 'claude'), join(home, '.claude')];
  return [...new Set(dirs.map((d) => resolve(d)))];
}

/**
 * Finds `projects/**\/*.jsonl` (which includes `<session>/subagents/*.jsonl`) under each root. Roots are `dirs`
 * when given (a config folder, a `projects` folder, a folder of logs or a single file), else the default config
 * folders.
 *
 * @example
 * const { files } = await findClaudeCodeFiles({ env: process.env, home: os.homedir() });
 */
export async function findClaudeCodeFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  const explicit = opts.dirs !== undefined && opts.dirs.length > 0;
  const roots = explicit
    ? [...new Set(opts.dirs!.map((d) => resolve(d)))]
    : claudeConfigDirs(opts.env, opts.home);
  const files = new Set<string>();
  const missing: string[] = [];
  const unreadable: string[] = [];
  for (const root of roots) {
    const kind = await kindOf(root);
    if (kind === null) {
      missing.push(root);
      continue;
    }
    if (kind === 'file') {
      files.add(root);
      continue;
    }
    const projects = join(root, 'projects');
    if ((await kindOf(projects)) === 'dir') await walk(projects, files, ACCEPT, unreadable);
    else if (explicit) await walk(root, files, ACCEPT, unreadable);
  }
  return { roots, files: [...files].sort(), missing, unreadable };
}

/** Session logs, main and subagent alike. */
const ACCEPT = (n: string): boolean => n.endsWith('.jsonl');
