/**
 * Issue 3: a re-import with nothing new answers from the import-state copy beside the ledger (ingest/state-cache.ts)
 * without opening the ledger at all, and the copy never hides a change. "Without opening" is observed through
 * DuckDB's file lock: while another process holds the ledger open, an import that opens it waits for the lock, and
 * says so (cli/context.ts), where one that does not open it answers at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, type Mock, vi } from 'vitest';
import { stateCachePath } from '../../src/ingest/state-cache.js';
import { runCli } from '../helpers/run-cli.js';

const line = (n: number) =>
  JSON.stringify({
    type: 'assistant',
    sessionId: 's-1',
    requestId: `req_${n}`,
    timestamp: `2026-02-11T09:00:0${n}.000Z`,
    message: {
      model: 'claude-sonnet-4-5',
      id: `msg_${n}`,
      usage: { input_tokens: 10 * n, cache_read_input_tokens: 0, output_tokens: n },
    },
  });

/** A process that holds the ledger open read-only (a shared lock) until killed. */
function holdLedger(db: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { DuckDBInstance } from '@duckdb/node-api';
       await DuckDBInstance.create(${JSON.stringify(db)}, { access_mode: 'READ_ONLY' });
       console.log('holding'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

let holder: ChildProcess | null = null;

/** Ends the holder and waits until it has exited, so its lock is gone. */
async function release(): Promise<void> {
  const h = holder;
  holder = null;
  if (h === null || h.exitCode !== null || h.signalCode !== null) return;
  const exited = new Promise((r) => h.once('exit', r));
  h.kill();
  await exited;
}

afterEach(release);

/**
 * Runs `command` while the holder has the ledger, and lets the holder go once the command has answered or said it
 * waits (after a second of waiting), or after 20 s: a command that opens the ledger waits for it, and says on stderr
 * whom it waited for; one that does not answers without a word. A fixed 1.5 s let the holder go before a command
 * slowed by a loaded machine had waited its second, and its word never came.
 */
async function whileHeld(command: () => ReturnType<typeof runCli>): ReturnType<typeof runCli> {
  const pid = holder?.pid;
  let settled = false;
  const done = command().finally(() => {
    settled = true;
  });
  // runCli runs the command in this process, its stderr written into a spy whose calls tell what it said so far.
  const said = () => {
    const write = process.stderr.write as unknown as Mock<(chunk: unknown) => boolean>;
    return (
      vi.isMockFunction(write) &&
      write.mock.calls.some(([chunk]) => String(chunk).includes('waiting for another process'))
    );
  };
  for (const until = Date.now() + 20_000; !settled && !said() && Date.now() < until; )
    await new Promise((r) => setTimeout(r, 50));
  await release();
  const r = await done;
  return { ...r, stderr: r.stderr.replace(`(pid ${pid})`, '(pid HOLDER)') };
}
const WAITED = /^waiting for another process \(pid HOLDER\) to let go of the ledger /;

describe('tokenledger import with nothing new', () => {
  it('answers from the state copy without opening the ledger, and opens it as soon as a log grew', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-cache-'));
    const logs = join(dir, 'claude');
    mkdirSync(join(logs, 'projects', 'p'), { recursive: true });
    const log = join(logs, 'projects', 'p', 's-1.jsonl');
    const settle = () => utimesSync(log, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    writeFileSync(log, `${line(1)}\n${line(2)}\n`);
    settle();
    const db = join(dir, 'ledger.duckdb');
    const run = (...more: string[]) => runCli(['import', 'claude-code', logs, '--db', db, ...more]);

    const first = await run();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('imported 2 events from 1 file');

    holder = await holdLedger(db);
    const again = await run();
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('imported 0 events from 1 file (0 lines, 0 events read)');
    expect(again.stdout).toContain('incremental: 1 unchanged (not read)');

    // --full reads everything again: it has to open the ledger, so it waits for the holder's lock.
    const full = await whileHeld(() => run('--full'));
    expect([full.code, full.stderr]).toEqual([0, expect.stringMatching(WAITED)]);
    // So does a log that grew: the copy says the file changed, never that nothing is new.
    appendFileSync(log, `${line(3)}\n`);
    settle();
    holder = await holdLedger(db);
    const grown = await whileHeld(() => run());
    expect([grown.code, grown.stderr]).toEqual([0, expect.stringMatching(WAITED)]);
    // The log's last response so far is read again with the new line, in case it went on (import-incremental.test.ts).
    expect(grown.stdout).toContain('imported 1 event from 1 file (2 lines, 2 events read)');
    expect(grown.stdout).toContain('0 unchanged (not read), 1 read on from the last import');
  });

  it('stays good across commands that only read the ledger: a report between two imports leaves the file as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-cache-'));
    const logs = join(dir, 'claude');
    mkdirSync(join(logs, 'projects', 'p'), { recursive: true });
    const log = join(logs, 'projects', 'p', 's-1.jsonl');
    writeFileSync(log, `${line(1)}\n${line(2)}\n`);
    utimesSync(log, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const db = join(dir, 'ledger.duckdb');
    expect((await runCli(['import', 'claude-code', logs, '--db', db])).code).toBe(0);
    const before = readFileSync(db);

    const report = await runCli(['report', '--by', 'model', '--db', db]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('claude-sonnet-4-5');
    expect(readFileSync(db).equals(before)).toBe(true);

    // So the next import with nothing new still answers without opening the ledger (the holder proves it).
    holder = await holdLedger(db);
    const again = await runCli(['import', 'claude-code', logs, '--db', db]);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('incremental: 1 unchanged (not read)');
  });

  it('is not used once the ledger changed under it, and a torn copy is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-cache-'));
    const logs = join(dir, 'claude');
    mkdirSync(join(logs, 'projects', 'p'), { recursive: true });
    const log = join(logs, 'projects', 'p', 's-1.jsonl');
    writeFileSync(log, `${line(1)}\n`);
    utimesSync(log, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const db = join(dir, 'ledger.duckdb');
    expect((await runCli(['import', 'claude-code', logs, '--db', db])).code).toBe(0);

    // Another command writes the ledger (a demo fill): its stamp no longer matches, so the import opens the ledger
    // (and finds the log unchanged there); the holder proves it opened it.
    expect((await runCli(['demo', '--people', '2', '--days', '1', '--db', db])).code).toBe(0);
    holder = await holdLedger(db);
    const after = await whileHeld(() => runCli(['import', 'claude-code', logs, '--db', db]));
    expect(after.stderr).toMatch(WAITED);
    expect(after.stdout).toContain('incremental: 1 unchanged (not read)');

    writeFileSync(stateCachePath(db), '{"version": 1, "ledg');
    holder = await holdLedger(db);
    const torn = await whileHeld(() => runCli(['import', 'claude-code', logs, '--db', db]));
    expect([torn.code, torn.stderr]).toEqual([0, expect.stringMatching(WAITED)]);
  });
});
