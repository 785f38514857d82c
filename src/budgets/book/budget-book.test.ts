import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileLedgerRecords } from '../../server/ledger-records.js';
import { BudgetBook, toBudget } from './budget-book.js';

let dir: string;
let ledger: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-budgets-'));
  ledger = join(dir, 'ledger.duckdb');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const payments = { scope: { team: 'payments' }, period: 'monthly', limit_usd: '50', action: 'block' };

describe('BudgetBook', () => {
  it('creates a budget with defaults filled in, stores it beside the ledger and audits who made it', async () => {
    const book = new BudgetBook(fileLedgerRecords(ledger));
    const b = await book.create(payments, 'cli:alice', 'cli');
    expect(b).toMatchObject({
      scope: { team: 'payments' },
      period: { kind: 'monthly' },
      tz: 'UTC',
      limit_usd: '50',
      thresholds: [50, 80, 100],
      action: 'block',
      downgrade_to: null,
      origin: 'cli',
    });
    expect(b.id).toMatch(/^b_[0-9a-f]{12}$/);
    const file = JSON.parse(await readFile(join(dir, 'ledger.budgets.json'), 'utf8'));
    expect(file.budgets).toEqual([b]);
    const history = await book.history(b.id);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actor: 'cli:alice', action: 'create', before: null, after: b });
  });

  it('drops the model of a downgrade budget changed to block, and keeps it when only the limit changes', async () => {
    const book = new BudgetBook(fileLedgerRecords(ledger));
    const b = await book.create(
      { ...payments, action: 'downgrade', downgrade_to: 'gpt-4o-mini' },
      'cli:a',
      'cli',
    );
    expect((await book.update(b.id, { limit_usd: '60' }, 'cli:a')).downgrade_to).toBe('gpt-4o-mini');
    expect(await book.update(b.id, { action: 'block' }, 'cli:a')).toMatchObject({
      action: 'block',
      downgrade_to: null,
    });
    await expect(book.update(b.id, { action: 'alert', downgrade_to: 'gpt-4o' }, 'cli:a')).rejects.toThrow(
      /only a downgrade budget/,
    );
  });

  it('records before and after of an update and a remove', async () => {
    const book = new BudgetBook(fileLedgerRecords(ledger));
    const b = await book.create(payments, 'cli:alice', 'cli');
    const raised = await book.update(b.id, { limit_usd: '75.50', thresholds: [90, 50] }, 'api:tok_1');
    expect(raised).toMatchObject({
      id: b.id,
      limit_usd: '75.50',
      thresholds: [50, 90],
      created_at: b.created_at,
    });
    await book.remove(b.id, 'cli:bob');
    expect(book.all()).toEqual([]);
    const h = await book.history(b.id);
    expect(
      h.map((c) => [c.action, c.actor, c.before?.limit_usd ?? null, c.after?.limit_usd ?? null]),
    ).toEqual([
      ['create', 'cli:alice', null, '50'],
      ['update', 'api:tok_1', '50', '75.50'],
      ['remove', 'cli:bob', '75.50', null],
    ]);
  });

  it('sees a budget another process added (the CLI while the server runs) within a second', async () => {
    let now = Date.parse('2026-11-28T10:00:00Z');
    const server = new BudgetBook(fileLedgerRecords(ledger), [], () => now);
    await server.load();
    expect(server.all()).toEqual([]);
    const b = await new BudgetBook(fileLedgerRecords(ledger)).create(payments, 'cli:alice', 'cli');
    now += 1500;
    server.all(); // starts the reload off the request path
    await new Promise((r) => setTimeout(r, 50));
    expect(server.all().map((x) => x.id)).toEqual([b.id]);
  });

  it('keeps config budgets read-only and first', async () => {
    const fromConfig = toBudget(
      { ...payments, limit_usd: 10 },
      'payments-cap',
      'config',
      '2026-11-01T00:00:00Z',
    );
    const book = new BudgetBook(fileLedgerRecords(ledger), [fromConfig]);
    await book.create({ scope: {}, period: 'daily', limit_usd: '500' }, 'cli:alice', 'cli');
    expect(book.all().map((b) => b.id)[0]).toBe('payments-cap');
    expect(book.all()).toHaveLength(2);
    await expect(book.remove('payments-cap', 'cli:alice')).rejects.toMatchObject({
      code: 'BUDGET_READ_ONLY',
    });
    await expect(book.remove('b_000000000000', 'cli:alice')).rejects.toMatchObject({
      code: 'BUDGET_NOT_FOUND',
    });
  });

  it('rejects a bad definition naming every wrong field and what is allowed, and writes nothing', async () => {
    const book = new BudgetBook(fileLedgerRecords(ledger));
    const bad = {
      scope: { squad: 'x' },
      period: 'fortnightly',
      limit_usd: '-5',
      action: 'downgrade',
      tz: 'Mars/Base',
    };
    const err = await book.create(bad, 'cli:alice', 'cli').catch((e) => e);
    expect(err.code).toBe('BUDGET_INVALID');
    for (const part of [
      'scope.squad',
      'expected a scope dimension',
      'period: expected daily, weekly, monthly or rolling:Nd',
      'tz: expected an IANA time zone',
      'limit_usd: expected a positive USD amount',
    ])
      expect(err.message).toContain(part);
    expect(book.all()).toEqual([]);
    expect(await book.history()).toEqual([]);
  });

  it('requires downgrade_to for a downgrade budget and parses rolling periods', () => {
    expect(() => toBudget({ ...payments, action: 'downgrade' }, 'x', 'cli', '')).toThrow(/downgrade_to/);
    // A model on an alert or block budget would be stored and never used: the caller meant another budget.
    for (const action of ['alert', 'block'])
      expect(() => toBudget({ ...payments, action, downgrade_to: 'gpt-4o-mini' }, 'x', 'cli', '')).toThrow(
        /only a downgrade budget sends requests to downgrade_to/,
      );
    const b = toBudget({ ...payments, period: 'rolling:7d' }, 'x', 'cli', '');
    expect(b.period).toEqual({ kind: 'rolling', days: 7 });
    expect(toBudget({ ...payments, scope: { 'tag.repo': 'web' } }, 'y', 'cli', '').scope).toEqual({
      'tag.repo': 'web',
    });
  });
});
