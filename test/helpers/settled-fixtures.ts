import { cpSync, mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A copy of test/fixtures (or of `from`) whose files were last modified an hour ago. Importers hold back the tail of a log written
 * in the last few minutes (it may still be growing), and a fresh clone gives every fixture the clone's time — so
 * tests that expect the whole file read must not depend on how old the checkout is.
 */
export function settledFixtures(from = resolve(import.meta.dirname, '../fixtures')): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tl-fixtures-')), 'fixtures');
  cpSync(from, dir, { recursive: true });
  const hourAgo = new Date(Date.now() - 3_600_000);
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else utimesSync(p, hourAgo, hourAgo);
    }
  };
  walk(dir);
  return dir;
}
