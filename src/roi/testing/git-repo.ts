import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Author {
  name: string;
  email: string;
}

/**
 * A real git repository in a temporary folder, for tests: commits with fixed authors and dates, so shas and what git
 * reports are the same on every machine. No global or system config is read (HOME points beside the repository).
 */
export class GitRepo {
  readonly dir: string;
  private readonly root: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'tl-git-'));
    this.dir = join(this.root, 'repo');
    mkdirSync(this.dir);
    this.git({ name: 'Nobody', email: 'nobody@example.com' }, '@0 +0000', 'init', '-q', '-b', 'main');
  }

  /** Runs git in the repository as `who`, `when` (any date git reads: ISO, `@epoch +0000`) being both dates. */
  git(who: Author, when: string, ...args: string[]): string {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
      GIT_COMMITTER_DATE: when,
    };
    const config = ['-c', 'user.name=x', '-c', 'user.email=x@x', '-c', 'commit.gpgsign=false'];
    return execFileSync('git', ['-C', this.dir, ...config, ...args], { env, encoding: 'utf8' }).trim();
  }

  /** Writes files (null deletes one) and commits everything as `who` at `when`; returns the sha. */
  commit(
    who: Author,
    when: string,
    files: Record<string, string | Buffer | null>,
    message = 'change',
  ): string {
    for (const [path, content] of Object.entries(files)) {
      const p = join(this.dir, path);
      if (content === null) rmSync(p);
      else {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, content);
      }
    }
    this.git(who, when, 'add', '-A');
    this.git(who, when, 'commit', '-q', '--allow-empty', '-m', message);
    return this.git(who, when, 'rev-parse', 'HEAD');
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
