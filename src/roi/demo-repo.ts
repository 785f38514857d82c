import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { demoWork, type WorkCommit } from '../sources/demo/work.js';
import { exited, gitFailed, runGit, spawnGit } from './git-run.js';

/**
 * `<ledger>.demo-repo/`: the demo organisation's repositories (one a project) beside a ledger the demo filled, what
 * the server's ROI report reads when its config names no repositories (docs/demo.md, "The demo's repositories").
 * Named after its ledger, as the write-ahead log's folder is: another ledger in the same folder does not read it.
 */
export function demoRepoPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.demo-repo`;
}

/** What the server's ROI report reads where the config has no `roi:`: the demo's repositories, when there are. */
export function demoRoi(ledgerPath: string): { repos: string[]; ref: string; people: null } | null {
  const dir = demoRepoPath(ledgerPath);
  if (!existsSync(dir)) return null;
  const repos = readdirSync(dir)
    .sort()
    .map((name) => join(dir, name))
    .filter((repo) => existsSync(join(repo, '.git')));
  return repos.length === 0 ? null : { repos, ref: 'HEAD', people: null };
}

/**
 * Writes the demo's commits (sources/demo/work.ts) as new git repositories under `dir`, one a project, replacing
 * what was there: a `git fast-import` stream each, asked for the sha of each commit a revert names. A change made on
 * a branch goes on that branch from the line's tip and is merged at once, as a pull request. Returns the number of
 * changes on the lines.
 */
export async function writeDemoRepo(
  dir: string,
  opts: { seed: number; people: number; days: number; end: number },
): Promise<number> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const repos = new Map<string, Importer>();
  // By the generator's index: the repository and mark of each change, for the reverts that name it.
  const marks: number[] = [];
  let changes = 0;
  try {
    for (const c of demoWork(opts)) {
      let repo = repos.get(c.repo);
      if (repo === undefined) {
        repo = await importer(join(dir, c.repo));
        repos.set(c.repo, repo);
      }
      marks.push(await repo.commit(c, c.reverts === null ? null : marks[c.reverts]!));
      changes++;
    }
    // Each import ends by writing its pack: side by side, on the cores there are.
    await Promise.all([...repos.values()].map((repo) => repo.finish()));
  } finally {
    for (const repo of repos.values()) repo.kill();
  }
  return changes;
}

interface Importer {
  /** Writes `c` (and its merge, for a branch's); returns the mark of the change on the line. */
  commit(c: WorkCommit, reverts: number | null): Promise<number>;
  finish(): Promise<void>;
  kill(): void;
}

/** A new repository at `dir` and the fast-import that writes it. */
async function importer(dir: string): Promise<Importer> {
  await mkdir(dir, { recursive: true });
  const init = await runGit(dir, ['init', '-q', '-b', 'main']);
  if (init.code !== 0) throw gitFailed(dir, 'creating a demo repository', init.stderr);
  // No deltas between a file's versions (finding them took twice as long, for a pack three quarters the size), and
  // glibc's heap kept grown: fast-import's zlib buffers, allocated and freed for every object, otherwise move the
  // heap's end twice an object (brk), 90% of its system time and 5x its time here.
  const git = spawnGit(dir, ['fast-import', '--quiet', '--done', '--depth=0'], {
    MALLOC_TOP_PAD_: '16777216',
  });
  const done = exited(git);
  let stderr = '';
  git.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  git.stdin.on('error', () => {}); // a git that stopped early: its exit code and stderr say why
  // Answers to get-mark, a sha a line, in the order asked.
  const shas = createInterface({ input: git.stdout })[Symbol.asyncIterator]();
  // Commands are sent in pieces of about 256 kB, so that git works while the demo's commits are made; a piece waits
  // for the pipe only when it is full.
  let pending = '';
  const flush = async () => {
    const piece = pending;
    pending = '';
    if (!git.stdin.write(piece)) await once(git.stdin, 'drain');
  };
  const failed = async (e: unknown) => {
    git.kill();
    // git not found says so; a git that stopped says what it wrote to stderr.
    const unrun = await done.then(
      () => null,
      (x: unknown) => x,
    );
    return unrun ?? gitFailed(dir, 'writing a demo repository', stderr || (e as Error).message);
  };
  let mark = 0;
  let line = 0;
  let finished = false;
  return {
    async commit(c, reverts) {
      try {
        let message = `${c.message}\n`;
        if (reverts !== null) {
          pending += `get-mark :${reverts}\n`;
          await flush();
          const sha = await shas.next();
          if (sha.done === true) throw new Error('git fast-import ended before it answered');
          message += `\nThis reverts commit ${sha.value}.\n`;
        }
        const who = `${c.name} <${c.email}> ${Math.floor(c.ts / 1_000_000)} +0000`;
        let files = '';
        for (const [path, text] of c.files) files += `M 100644 inline ${path}\n${data(text)}`;
        const head = (ref: string) => `commit ${ref}\nmark :${++mark}\nauthor ${who}\ncommitter ${who}\n`;
        if (c.branch === null) pending += `${head('refs/heads/main')}${data(message)}${files}\n`;
        else {
          // The branch from the line's tip, then its pull request merged onto the line with the same files.
          pending += `${head(`refs/heads/${c.branch}`)}${data(message)}from :${line}\n${files}\n`;
          const merge = `Merge pull request #${mark} from acme/${c.branch}\n\n${c.message}\n`;
          pending += `${head('refs/heads/main')}${data(merge)}from :${line}\nmerge :${mark - 1}\n${files}\n`;
        }
        line = mark;
        if (pending.length > 1 << 18) await flush();
        return line;
      } catch (e) {
        throw await failed(e);
      }
    },
    async finish() {
      try {
        pending += 'done\n';
        await flush();
        git.stdin.end();
        const code = await done;
        finished = true;
        if (code !== 0) throw gitFailed(dir, 'writing a demo repository', stderr);
      } catch (e) {
        throw finished ? e : await failed(e);
      }
      const checkout = await runGit(dir, ['checkout', '-q', '-f', 'main']);
      if (checkout.code !== 0) throw gitFailed(dir, 'checking out a demo repository', checkout.stderr);
    },
    kill() {
      if (!finished) git.kill();
    },
  };
}

/** fast-import's `data` command: the byte length, then the bytes. */
function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}
