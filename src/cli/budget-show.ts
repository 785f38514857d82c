import type { BudgetChange } from '../budgets/book/audit-log.js';
import { BudgetBook } from '../budgets/book/budget-book.js';
import { type BudgetStatus, budgetStatus } from '../budgets/status.js';
import { TokenledgerError } from '../errors.js';
import { describeBudget } from './budgets.js';
import { type LedgerOptions, ledgerPath, withStore } from './context.js';
import { loadCliPricer } from './pricer.js';
import { apiGet, runningServer } from './running-server.js';

type Shown = BudgetStatus & { history: BudgetChange[] };

/** Spend comes from the ledger: through the running server when there is one, else from the file itself. */
async function load(o: LedgerOptions & { id: string }): Promise<Shown> {
  const path = ledgerPath(o);
  const server = await runningServer(path);
  if (server !== null) return apiGet<Shown>(server, `/api/budgets/${encodeURIComponent(o.id)}`);
  const book = new BudgetBook(path);
  const b = await book.get(o.id);
  if (b === null)
    throw new TokenledgerError(
      'BUDGET_NOT_FOUND',
      `no budget ${JSON.stringify(o.id)}; see tokenledger budgets list`,
    );
  const pricer = await loadCliPricer(o);
  const status = await withStore(o, (store) => budgetStatus(store, b, Date.now(), pricer));
  return { ...status, history: await book.history(b.id) };
}

export async function budgetsShow(
  o: LedgerOptions & { id: string; format?: string },
  out: (s: string) => void,
): Promise<void> {
  const s = await load(o);
  if (o.format === 'json') {
    out(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  out(`${s.budget.id}${s.budget.name ? ` (${s.budget.name})` : ''}: ${describeBudget(s.budget)}\n`);
  out(`  this period  ${s.window.start} → ${s.window.end}\n`);
  out(`  spend        $${s.spend_usd} of $${s.limit_usd} (${s.percent.toFixed(2)}%)\n`);
  out(`  resets at    ${s.window.resets_at}\n`);
  for (const c of s.history) out(`  ${c.at}  ${c.actor}  ${c.action}\n`);
}
