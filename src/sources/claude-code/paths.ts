import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, kindOf, walk } from '../find-files.js';

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
export function findClaudeCodeFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  return discover(
    opts.dirs,
    () => claudeConfigDirs(opts.env, opts.home),
    async (root, explicit, files, unreadable) => {
      const projects = join(root, 'projects');
      if ((await kindOf(projects)) === 'dir') await walk(projects, files, ACCEPT, unreadable);
      else if (explicit) await walk(root, files, ACCEPT, unreadable);
    },
  );
}

/** Session logs, main and subagent alike. */
const ACCEPT = (n: string): boolean => n.endsWith('.jsonl');
