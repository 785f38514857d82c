import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { demoWork } from '../sources/demo/work.js';
import { exited, gitFailed, runGit, spawnGit } from './git-run.js';

/**
 * `<ledger>.demo-repo/`: the demo organisation's repository beside a ledger the demo filled, what the server's ROI
 * report reads when its config names no repositories (docs/demo.md, "The demo's repository"). Named after its
 * ledger, as the write-ahead log's folder is: another ledger in the same folder does not read it.
 */
export function demoRepoPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.demo-repo`;
}

/** What the server's ROI report reads where the config has no `roi:`: the demo's repository, when there is one. */
export function demoRoi(ledgerPath: string): { repos: string[]; ref: string; people: null } | null {
  const dir = demoRepoPath(ledgerPath);
  return existsSync(join(dir, '.git')) ? { repos: [dir], ref: 'HEAD', people: null } : null;
}

/**
 * Writes the demo's commits (sources/demo/work.ts) as a new git repository at `dir`, replacing what was there: one
 * `git fast-import` stream, asking it for the sha of each commit a revert names. Returns the number of commits.
 */
export async function writeDemoRepo(
  dir: string,
  opts: { seed: number; people: number; days: number; end: number },
): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const init = await runGit(dir, ['init', '-q', '-b', 'main']);
  if (init.code !== 0) throw gitFailed(dir, 'creating the demo repository', init.stderr);
  // No deltas between a file's versions: the default demo's 3,421 commits in ~2.5 s and 8 MB, where finding them
  // took 4.5-6 s for a 6 MB pack.
  const git = spawnGit(dir, ['fast-import', '--quiet', '--done', '--depth=0']);
  const done = exited(git);
  let stderr = '';
  git.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  git.stdin.on('error', () => {}); // a git that stopped early: its exit code and stderr say why
  // Answers to get-mark, a sha a line, in the order asked.
  const shas = lineReader(git.stdout);
  // Commands are sent in pieces of about a megabyte, and each piece waits for the pipe only when it is full.
  let pending = '';
  const flush = async () => {
    const piece = pending;
    pending = '';
    if (!git.stdin.write(piece)) await once(git.stdin, 'drain');
  };
  let n = 0;
  try {
    for (const c of demoWork(opts)) {
      n++;
      let message = `${c.message}\n`;
      if (c.reverts !== null) {
        pending += `get-mark :${c.reverts + 1}\n`;
        await flush();
        message += `\nThis reverts commit ${await shas()}.\n`;
      }
      const who = `${c.name} <${c.email}> ${Math.floor(c.ts / 1_000_000)} +0000`;
      pending += `commit refs/heads/main\nmark :${n}\nauthor ${who}\ncommitter ${who}\n${data(message)}`;
      for (const [path, text] of c.files) pending += `M 100644 inline ${path}\n${data(text)}`;
      pending += '\n';
      if (pending.length > 1 << 20) await flush();
    }
    pending += 'done\n';
    await flush();
  } catch (e) {
    git.kill();
    // git not found says so; a git that stopped says what it wrote to stderr.
    const unrun = await done.then(
      () => null,
      (x: unknown) => x,
    );
    throw unrun ?? gitFailed(dir, 'writing the demo repository', stderr || (e as Error).message);
  } finally {
    git.stdin.end();
  }
  const code = await done;
  if (code !== 0) throw gitFailed(dir, 'writing the demo repository', stderr);
  // A demo of no people has no commits, and so no branch to check out.
  const checkout = n === 0 ? null : await runGit(dir, ['checkout', '-q', '-f', 'main']);
  if (checkout !== null && checkout.code !== 0)
    throw gitFailed(dir, 'checking out the demo repository', checkout.stderr);
  return n;
}

/** fast-import's `data` command: the byte length, then the bytes. */
function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/** Reads a stream a line at a time, each call giving the next line; rejects once the stream ended without one. */
function lineReader(stream: NodeJS.ReadableStream): () => Promise<string> {
  const lines: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      const w = waiting.shift();
      if (w) w.resolve(line);
      else lines.push(line);
    }
  });
  stream.on('end', () => {
    ended = true;
    for (const w of waiting.splice(0)) w.reject(new Error('git fast-import ended before it answered'));
  });
  return () => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (ended) return Promise.reject(new Error('git fast-import ended before it answered'));
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}
