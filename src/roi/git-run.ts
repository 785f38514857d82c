import { spawn } from 'node:child_process';
import { TokenledgerError } from '../errors.js';

/** Running git in a repository for the ROI report: only `repo` decides which, and failures say what was being read. */

export function gitFailed(repo: string, doing: string, stderr: string): TokenledgerError {
  const line =
    stderr.split('\n').find((l) => l.startsWith('fatal:') || l.startsWith('error:')) ?? stderr.trim();
  return new TokenledgerError('ROI_GIT_FAILED', `${repo}: git failed ${doing}: ${line || 'no message'}`);
}

// `repo` decides which repository is read, not variables a git hook may have set for another one.
const LOCATION_VARS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_COMMON_DIR',
];

function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const v of [...LOCATION_VARS, 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE']) delete env[v];
  return env;
}

/** git in `repo`, its three streams piped; `env` adds to (or overrides) the environment it runs with. */
export function spawnGit(repo: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn('git', ['-C', repo, ...args], {
    env: { ...gitEnv(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** The child's exit code (1 when killed); rejects when git could not be run at all. */
export function exited(child: ReturnType<typeof spawnGit>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', (e) =>
      reject(new TokenledgerError('ROI_GIT_FAILED', `could not run git: ${e.message}`, { cause: e })),
    );
    child.on('close', (code) => resolve(code ?? 1));
  });
}

export async function runGit(
  repo: string,
  args: string[],
  input = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawnGit(repo, args);
  const done = exited(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {}); // git may exit before reading its input; its exit code says why
  child.stdin.end(input);
  const code = await done;
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Runs git and hands each line of its output (without the newline) to `line`, splitting on \n only. */
export async function streamGit(
  repo: string,
  args: string[],
  line: (buf: Buffer, start: number, end: number) => void,
): Promise<void> {
  const child = spawnGit(repo, args);
  const done = exited(child);
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 64_000) stderr += s;
  });
  // A line cut across chunks, joined once its end arrives (joining on every chunk would copy a long line often).
  const parts: Buffer[] = [];
  const joined = (tail: Buffer) => {
    parts.push(tail);
    const all = Buffer.concat(parts);
    parts.length = 0;
    line(all, 0, all.length);
  };
  try {
    for await (const buf of child.stdout as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        if (parts.length > 0) joined(buf.subarray(start, nl));
        else line(buf, start, nl);
        start = nl + 1;
      }
      if (start < buf.length) parts.push(buf.subarray(start));
    }
    if (parts.length > 0) joined(Buffer.alloc(0));
  } catch (e) {
    child.kill();
    await done.catch(() => {});
    throw e;
  }
  const code = await done;
  if (code !== 0) throw gitFailed(repo, 'reading the log', stderr);
}

/** `work` of every item, at most `n` at a time, in the items' order. */
export async function mapAtOnce<T, R>(
  items: readonly T[],
  n: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}
