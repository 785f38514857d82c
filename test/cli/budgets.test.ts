import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Budget } from '../../src/budgets/budget.js';
import { budgetWindow } from '../../src/budgets/period.js';
import type { UsageEvent } from '../../src/ledger/event.js';
import { formatUsd, parseDecimal } from '../../src/money/money.js';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { makeEvent } from '../../src/store/testing/event-factory.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;
let payments: UsageEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-cli-budgets-'));
  db = join(dir, 'ledger.duckdb');
  // Spend in the last hours, so it falls in today's and this month's windows whatever the date.
  const now = Date.now();
  const store = await createDuckDbStore(db);
  const events = [0, 1, 2, 3].map((i) =>
    makeEvent(i, { ts: (now - (i + 1) * 60_000) * 1000, team: i < 3 ? 'payments' : 'web' }),
  );
  await store.append(events);
  await store.close();
  payments = events.filter((e) => e.team === 'payments');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The payments spend inside the budget's current window (the events are minutes old: near midnight some are not). */
function spentIn(b: Budget): string {
  const w = budgetWindow(b, Date.now());
  return formatUsd(
    payments
      .filter((e) => e.ts >= w.start * 1000 && e.ts < w.end * 1000)
      .reduce((s, e) => s + (e.cost_usd ?? 0n), 0n),
  );
}

const lastId = (stdout: string) => /Created budget (b_[0-9a-f]{12})/.exec(stdout)![1]!;

describe('tokenledger budgets', () => {
  it('adds, lists, shows, updates and removes a budget, and keeps the history', async () => {
    const add = await runCli([
      'budgets',
      'add',
      '--db',
      db,
      '--scope',
      'team=payments',
      '--period',
      'daily',
      '--limit-usd',
      '50',
      '--action',
      'block',
      '--thresholds',
      '80,50,100',
      '--tz',
      'Europe/Berlin',
    ]);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const id = lastId(add.stdout);
    expect(add.stdout).toContain('team=payments  daily (Europe/Berlin)  $50.00  block  alerts at 50/80/100%');

    const list = await runCli(['budgets', 'list', '--db', db, '--format', 'json']);
    expect(JSON.parse(list.stdout).budgets).toMatchObject([{ id, scope: { team: 'payments' } }]);
    // `budgets` alone lists, as `budgets list` does.
    expect((await runCli(['budgets', '--db', db, '--format', 'json'])).stdout).toBe(list.stdout);

    const show = await runCli(['budgets', 'show', id, '--db', db, '--format', 'json']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown).toMatchObject({ spend_usd: spentIn(shown.budget), limit_usd: '50.000000000000' });
    // As text: dollars and cents, the forecast and when the limit is reached.
    const text = (await runCli(['budgets', 'show', id, '--db', db])).stdout;
    expect(text).toContain(` of $50.00 (${shown.percent.toFixed(2)}%)`);
    expect(text).toMatch(/^ {2}forecast {5}\$[\d,]+\.\d+ by the period's end \(\$[\d,.]+ – \$[\d,.]+\)$/m);
    expect(text).toMatch(/^ {2}runs out {5}(already|not this period|\d{4}-\d{2}-\d{2}.*)$/m);

    expect((await runCli(['budgets', 'update', id, '--db', db, '--limit-usd', '60'])).code).toBe(0);
    expect((await runCli(['budgets', 'remove', id, '--db', db])).code).toBe(0);
    const history = await runCli(['budgets', 'history', id, '--db', db]);
    expect(
      history.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[2]),
    ).toEqual(['create', 'update', 'remove']);
    expect(history.stdout).toContain('before: team=payments  daily (Europe/Berlin)  $50.00');
    expect(history.stdout).toContain('after: team=payments  daily (Europe/Berlin)  $60.00');
  });

  // 100% is where a block budget blocks: a list that rounds 99.6% up to it says the limit is reached while calls
  // still pass.
  it('lists a budget just under its limit below 100%, never rounded up to it', async () => {
    const base = ['--db', db, '--scope', 'team=payments', '--period', 'rolling:1d', '--action', 'block'];
    const id = lastId((await runCli(['budgets', 'add', ...base, '--limit-usd', '1000'])).stdout);
    const spent = parseDecimal(
      JSON.parse((await runCli(['budgets', 'show', id, '--db', db, '--format', 'json'])).stdout).spend_usd,
    );
    expect(spent).toBeGreaterThan(0n);
    // The limit the spend is 99.6% of.
    const limit = formatUsd((spent * 1000n) / 996n);
    expect((await runCli(['budgets', 'update', id, '--db', db, '--limit-usd', limit])).code).toBe(0);
    const shown = JSON.parse((await runCli(['budgets', 'show', id, '--db', db, '--format', 'json'])).stdout);
    expect(shown.percent).toBeGreaterThan(99.5);
    expect(shown.percent).toBeLessThan(100);
    expect((await runCli(['budgets', 'list', '--db', db])).stdout).toContain('(99%)');
  });

  it('says what is wrong with bad flags, and changes nothing', async () => {
    const r = await runCli([
      'budgets',
      'add',
      '--db',
      db,
      '--scope',
      'squad=x',
      '--limit-usd',
      '5',
      '--period',
      'yearly',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error BUDGET_INVALID: .*scope\.squad: expected a scope dimension.*period: expected daily, weekly, monthly or rolling:Nd/,
    );
    expect(
      (await runCli(['budgets', 'add', '--db', db, '--scope', 'team', '--limit-usd', '5'])).stderr,
    ).toContain('--scope "team": expected DIMENSION=VALUE');
    // Object's own property names are unknown dimensions like any other: not "given twice", not a lost key.
    for (const name of ['constructor', '__proto__'])
      expect(
        (
          await runCli([
            'budgets',
            'add',
            '--db',
            db,
            '--scope',
            `${name}=x`,
            '--limit-usd',
            '5',
            '--period',
            'daily',
          ])
        ).stderr,
        name,
      ).toContain(`scope.${name}: expected a scope dimension`);
    for (const verb of ['show', 'remove'])
      expect((await runCli(['budgets', verb, 'b_000000000000', '--db', db])).stderr, verb).toBe(
        'error BUDGET_NOT_FOUND: no budget "b_000000000000"; see tokenledger budgets list\n',
      );
    expect((await runCli(['budgets', 'list', '--db', db])).stdout).toMatch(/^No budgets/);
  });

  it('works against a running server: show gets the spend through its API, list shows its config budgets too', async () => {
    const configPath = join(dir, 'tokenledger.config.yaml');
    await writeFile(
      configPath,
      'budgets:\n  payments-daily: { scope: { team: payments }, period: daily, limit_usd: 500, action: block }\n',
    );
    const server = await startServer({
      ledgerPath: db,
      configPath,
      port: 0,
      cwd: dir,
      env: {},
      openStore: (p) => createDuckDbStore(p),
      log: () => {},
    });
    try {
      const add = await runCli([
        'budgets',
        'add',
        '--db',
        db,
        '--scope',
        'team=payments',
        '--limit-usd',
        '9',
        '--period',
        'monthly',
      ]);
      const id = lastId(add.stdout);
      // The DuckDB file is the server's now; show gets the spend through its API.
      const show = await runCli(['budgets', 'show', id, '--db', db, '--format', 'json']);
      expect(show.stderr).toBe('');
      const shown = JSON.parse(show.stdout);
      expect(shown).toMatchObject({ budget: { id }, spend_usd: spentIn(shown.budget) });
      expect((await runCli(['budgets', 'show', 'b_000000000000', '--db', db])).stderr).toBe(
        'error BUDGET_NOT_FOUND: no budget "b_000000000000"; see tokenledger budgets list\n',
      );
      // The config file's budget is the server's to know: list asks it, and says where each budget comes from.
      const list = await runCli(['budgets', 'list', '--db', db]);
      expect(list.stderr).toBe('');
      const lines = list.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const daily = lines.find((l) => l.startsWith('payments-daily '))!;
      expect(daily).toMatch(/team=payments {2}daily \(UTC\) {2}\$500\.00 {2}block/);
      expect(daily).toMatch(/spent \$\d+\.\d{2} \(\d+%\) {2}\(config\)$/);
      expect(lines.find((l) => l.startsWith(`${id} `))).not.toMatch(/\(config\)/);
      const json = JSON.parse((await runCli(['budgets', 'list', '--db', db, '--format', 'json'])).stdout);
      expect(json.budgets.map((b: Budget) => b.origin).sort()).toEqual(['cli', 'config']);
    } finally {
      await server.close();
    }
    // With no server, list reads the ledger file itself: the budgets file's budget, with its spend (the config
    // file's budget was the server's to know).
    const offline = await runCli(['budgets', 'list', '--db', db]);
    expect(offline.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/team=payments {2}monthly \(UTC\) {2}\$9\.00 .* spent \$\d+\.\d{2} \(\d+%\)$/),
    ]);
  });
});
