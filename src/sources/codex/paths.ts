import { join, resolve } from 'node:path';
import { kindOf, walk } from '../find-files.js';

/** Environment variables the discovery reads; the CLI passes `process.env`, tests a literal. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Discovery {
  /** Directories searched, in order. */
  roots: string[];
  /** Rollout files found, sorted, each once. */
  files: string[];
  /** Roots that do not exist (reported, not an error). */
  missing: string[];
  /** Folders under the roots that could not be listed (permissions): their logs were not found. */
  unreadable: string[];
}

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
  const explicit = opts.dirs !== undefined && opts.dirs.length > 0;
  const roots = explicit ? [...new Set(opts.dirs!.map((d) => resolve(d)))] : [codexHome(opts.env, opts.home)];
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
    let found = false;
    for (const sub of SUBFOLDERS) {
      const dir = join(root, sub);
      if ((await kindOf(dir)) !== 'dir') continue;
      found = true;
      await walk(dir, files, ACCEPT, unreadable);
    }
    // A folder given by hand that is itself a sessions folder (or any folder of rollouts).
    if (!found && explicit) await walk(root, files, ACCEPT, unreadable);
  }
  // While Codex compresses or re-opens a rollout both forms exist for a moment; like Codex, read the plain one.
  for (const f of files) if (f.endsWith('.zst') && files.has(f.slice(0, -'.zst'.length))) files.delete(f);
  return { roots, files: [...files].sort(), missing, unreadable };
}

const ACCEPT = (n: string): boolean => ROLLOUT.test(n);
