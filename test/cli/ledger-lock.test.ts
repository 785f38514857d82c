import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { statuslineCommand } from '../../src/cli/statusline.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { makeEvent } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tl-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A ledger with one call, held by another process for `ms`, as a long import (or another person's command) would
 * hold it. Resolves once it is held, with the holder's pid and its exit.
 */
async function heldLedger(
  name: string,
  ms: number,
): Promise<{ db: string; pid: number; exited: Promise<unknown> }> {
  const db = join(dir, name);
  const store = await createDuckDbStore(db);
  await store.append([makeEvent(1)]);
  await store.close();
  const holder = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { createDuckDbStore } = await import(${JSON.stringify(join(import.meta.dirname, '../../src/store/duckdb/duckdb-store.ts'))});
       const s = await createDuckDbStore(${JSON.stringify(db)});
       process.stdout.write('held\\n');
       await new Promise((r) => setTimeout(r, ${ms}));
       await s.close();`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => holder.once('exit', r));
  await new Promise<void>((r) => holder.stdout.once('data', () => r()));
  return { db, pid: holder.pid!, exited };
}

it('waits for another command to let go of the ledger file, and says whom it waits for, rather than fail', async () => {
  const { db, pid, exited } = await heldLedger('report.duckdb', 2500);
  const r = await runCli(['report', '--db', db, '--since', '2000-01-01', '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).totals.events).toBe(1);
  expect(r.stderr).toBe(`waiting for another process (pid ${pid}) to let go of the ledger ${db}\n`);
  await exited;
});

it("gives Claude Code's status line a line saying the ledger is busy after two seconds, not a minute's wait", async () => {
  const { db, exited } = await heldLedger('statusline.duckdb', 4000);
  let line = '';
  await statuslineCommand({ db }, '', (s) => (line += s), {}, join(dir, 'home'));
  // The holder still has the file (it lets go after 4 s): the line gave up waiting, as it does after 2 s.
  expect(line).toBe('tokenledger: the ledger is in use by another command; the next redraw reads it\n');
  await exited;
});
