import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

// A new user sets up keys, tokens and budgets before anything fills a ledger: the files beside the ledger are then
// the first thing written into its folder, which does not exist yet (it crashed with ENOENT before 2026-12-02).
let dir: string;
let db: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-first-run-'));
  db = join(dir, '.tokenledger', 'ledger.duckdb');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;
const addBudget = (scope: string, usd: string) =>
  runCli(['budgets', 'add', '--db', db, '--scope', scope, '--limit-usd', usd, '--action', 'alert']);

describe('admin commands before any ledger exists', () => {
  it('keys create makes the ledger folder, stores only the hash and lists the key', async () => {
    const made = await runCli(['keys', 'create', '--team', 'payments', '--db', db]);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const key = made.stdout.trim().split('\n').at(-1)!;
    expect(await mode(join(dir, '.tokenledger', 'ledger.keys.json'))).toBe(0o600);
    const listed = await runCli(['keys', 'list', '--db', db]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('team=payments');
    expect(listed.stdout).not.toContain(key);
    // No ledger yet, so no spend to show, and none is made by asking.
    expect(listed.stdout).not.toContain('spent');
    expect(existsSync(join(dir, '.tokenledger', 'ledger.duckdb'))).toBe(false);
  });

  it('tokens create makes the ledger folder and prints the token last', async () => {
    const made = await runCli(['tokens', 'create', '--role', 'admin', '--db', db]);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout.trim().split('\n').at(-1)).toMatch(/^\S{20,}$/);
    expect(await mode(join(dir, '.tokenledger', 'ledger.tokens.json'))).toBe(0o600);
  });

  it('budgets add makes the ledger folder and records the change in the audit log', async () => {
    expect(await runCli(['budgets', 'history', '--db', db])).toMatchObject({
      code: 0,
      stdout: 'No budget changes yet.\n',
    });
    const added = await addBudget('team=payments', '100');
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/Created budget b_[0-9a-f]{12}/);
    const history = await runCli(['budgets', 'history', '--db', db]);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain('create');
    expect(await mode(join(dir, '.tokenledger', 'ledger.budgets-audit.jsonl'))).toBe(0o600);
  });

  it('budgets show says there is no ledger yet, and leaves none behind', async () => {
    const added = await addBudget('team=web', '5');
    const id = /Created budget (b_[0-9a-f]{12})/.exec(added.stdout)![1]!;
    const shown = await runCli(['budgets', 'show', id, '--db', db]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/^error CLI_NO_LEDGER: no ledger at /);
    expect(existsSync(db)).toBe(false);
  });
});
