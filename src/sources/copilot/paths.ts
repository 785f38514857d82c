import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, kindOf, walk } from '../find-files.js';

/**
 * Copilot CLI keeps everything under one folder, `~/.copilot`, which `$COPILOT_HOME` relocates (GitHub's "Copilot
 * CLI configuration directory" reference: `session-state/` holds session history). Versions up to 0.0.421 also
 * read their configuration from `$XDG_CONFIG_HOME`; later ones ignore it (github/copilot-cli#1954), and no version is
 * documented to have kept session state there, so it is not searched (docs/sources/copilot.md).
 */
export function copilotHome(env: Env, home: string): string {
  const fromEnv = env.COPILOT_HOME?.trim();
  return resolve(fromEnv ? fromEnv : join(home, '.copilot'));
}

/** One log per session: `session-state/<session id>/events.jsonl`; the other files there are not usage. */
const EVENTS_FILE = 'events.jsonl';

/**
 * Finds `session-state/*\/events.jsonl` under each root: `dirs` when given (a Copilot home, a `session-state`
 * folder, one session's folder, or single files), else `$COPILOT_HOME`.
 *
 * @example
 * const { files } = await findCopilotFiles({ env: process.env, home: os.homedir() });
 */
export function findCopilotFiles(opts: {
  env: Env;
  home: string;
  dirs?: readonly string[];
}): Promise<Discovery> {
  return discover(
    opts.dirs,
    () => [copilotHome(opts.env, opts.home)],
    async (root, explicit, files, unreadable) => {
      const sessions = join(root, 'session-state');
      if ((await kindOf(sessions)) === 'dir') await walk(sessions, files, ACCEPT, unreadable);
      // A folder given by hand that is itself `session-state`, or one session's folder.
      else if (explicit) await walk(root, files, ACCEPT, unreadable);
    },
  );
}

const ACCEPT = (n: string): boolean => n === EVENTS_FILE;
