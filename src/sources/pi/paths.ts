import { join, resolve } from 'node:path';
import { type Discovery, discover, type Env, kindOf, walk } from '../find-files.js';
import { expandHome } from '../path-parts.js';

/**
 * pi keeps its settings, models and sessions in its agent folder: `$PI_CODING_AGENT_DIR` when set (a leading `~`
 * expanded), else `~/.pi/agent` (badlogic/pi-mono packages/coding-agent/src/config.ts `getAgentDir`, where the
 * variable is `${APP_NAME}_CODING_AGENT_DIR` and the app is `pi`). Sessions are under its `sessions/` folder.
 */
export function piAgentDir(env: Env, home: string): string {
  const fromEnv = env.PI_CODING_AGENT_DIR?.trim();
  return fromEnv ? expandHome(fromEnv, home) : resolve(join(home, '.pi', 'agent'));
}

/** `<agent folder>/sessions`: one folder per working directory (`--home-ana-shop--`), one `.jsonl` per session. */
export function piSessionsDir(env: Env, home: string): string {
  return join(piAgentDir(env, home), 'sessions');
}

/**
 * pi names a session `<ISO time, ':' and '.' as '-'>_<session uuid>.jsonl` (session-manager.ts `newSession`), and
 * lists every `.jsonl` of a session folder as a session; so does this.
 */
const SESSION_FILE = /\.jsonl$/i;

/**
 * Finds `**\/*.jsonl` under each root: `dirs` when given (an agent folder with a `sessions/` folder, a sessions
 * folder, one project's folder, or single files), else `piSessionsDir`.
 *
 * @example
 * const { files } = await findPiFiles({ env: process.env, home: os.homedir() });
 */
export function findPiFiles(opts: { env: Env; home: string; dirs?: readonly string[] }): Promise<Discovery> {
  return discover(
    opts.dirs,
    () => [piSessionsDir(opts.env, opts.home)],
    async (root, explicit, files, unreadable) => {
      // An agent folder given by hand: only its sessions, not its settings or extensions' files.
      const sessions = join(root, 'sessions');
      const dir = explicit && (await kindOf(sessions)) === 'dir' ? sessions : root;
      await walk(dir, files, ACCEPT, unreadable);
    },
  );
}

const ACCEPT = (n: string): boolean => SESSION_FILE.test(n);
