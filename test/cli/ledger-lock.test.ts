import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { makeEvent } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tl-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('waits for another command to let go of the ledger file, and says whom it waits for, rather than fail', async () => {
  const db = join(dir, 'ledger.duckdb');
  const store = await createDuckDbStore(db);
  await store.append([makeEvent(1)]);
  await store.close();
  // Another process holds the file for 2.5 s, as a long import (or another person's command) would.
  const holder = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { createDuckDbStore } = await import(${JSON.stringify(join(import.meta.dirname, '../../src/store/duckdb/duckdb-store.ts'))});
       const s = await createDuckDbStore(${JSON.stringify(db)});
       process.stdout.write('held\\n');
       await new Promise((r) => setTimeout(r, 2500));
       await s.close();`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => holder.once('exit', r));
  await new Promise<void>((r) => holder.stdout.once('data', () => r()));
  const r = await runCli(['report', '--db', db, '--since', '2000-01-01', '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).totals.events).toBe(1);
  expect(r.stderr).toBe(`waiting for another process (pid ${holder.pid}) to let go of the ledger ${db}\n`);
  await exited;
});
