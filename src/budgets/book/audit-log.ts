import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RecordSet, SetRecord } from '../../records/record-set.js';
import type { Budget } from '../budget.js';

/**
 * Every change to a budget, append-only: who, when, and the budget before and after (null before a create, null
 * after a remove). Beside a DuckDB ledger in `<ledger>.budgets-audit.jsonl`, in a ClickHouse ledger's database with
 * its budgets. The audit log is never rewritten.
 */
export interface BudgetChange {
  at: string;
  /** `cli:<os user>`, `api:<token id>` or `config` (a budget that appeared or changed in the config file). */
  actor: string;
  action: 'create' | 'update' | 'remove';
  budget_id: string;
  before: Budget | null;
  after: Budget | null;
}

export interface BudgetAudit {
  append(c: BudgetChange): Promise<void>;
  /** Changes in the order they were made, optionally of one budget. */
  read(budgetId?: string): Promise<BudgetChange[]>;
}

export function fileBudgetAudit(ledgerPath: string): BudgetAudit {
  const path = auditLogPath(ledgerPath);
  return { append: (c) => appendChange(path, c), read: (id) => readChanges(path, id) };
}

/** The audit as records of a set that only grows (a ClickHouse ledger's): one per change, ordered by its time. */
export function recordSetBudgetAudit(set: RecordSet<BudgetChange & SetRecord>): BudgetAudit {
  return {
    append: (c) => set.put({ id: `${c.at}-${randomBytes(6).toString('hex')}`, created_at: c.at, ...c }),
    async read(budgetId) {
      const changes = (await set.list()).map(({ id: _id, created_at: _at, ...c }) => c);
      return budgetId === undefined ? changes : changes.filter((c) => c.budget_id === budgetId);
    },
  };
}

export function auditLogPath(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.budgets-audit.jsonl`;
}

async function appendChange(path: string, c: BudgetChange): Promise<void> {
  // The first budget may come before the first ledger, and with it the ledger's folder.
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(c)}\n`, { mode: 0o600 });
}

/** Changes in the order they were made, optionally of one budget. A torn last line (a crash mid-write) is skipped. */
async function readChanges(path: string, budgetId?: string): Promise<BudgetChange[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: BudgetChange[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const c = JSON.parse(line) as BudgetChange;
      if (budgetId === undefined || c.budget_id === budgetId) out.push(c);
    } catch {
      // Only the last line can be torn: appends are whole lines.
    }
  }
  return out;
}
