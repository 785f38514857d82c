import type { BudgetChange } from '../budgets/book/audit-log.js';
import type { BudgetStatus } from '../budgets/status.js';
import { TokenledgerError } from '../errors.js';
import { formatUsdDisplay, formatUsdOf } from '../money/money.js';
import { budgetEndpoint } from '../server/api/budgets.js';
import { askLedger } from './ask-ledger.js';
import { describeBudget } from './budgets.js';
import type { LedgerOptions } from './context.js';

type Shown = BudgetStatus & { history: BudgetChange[] };

export async function budgetsShow(
  o: LedgerOptions & { id: string; format?: string },
  out: (s: string) => void,
): Promise<void> {
  // Spend comes from the ledger: through the running server when there is one, else from the file itself.
  const s = await askLedger<Shown>(o, budgetEndpoint, new URLSearchParams(), { id: o.id }).catch(
    (e: unknown) => {
      // The API's answer points at GET /api/budgets; on the command line, the command that lists them.
      if (e instanceof TokenledgerError && e.code === 'API_NOT_FOUND')
        throw new TokenledgerError(
          'BUDGET_NOT_FOUND',
          `no budget ${JSON.stringify(o.id)}; see tokenledger budgets list`,
        );
      throw e;
    },
  );
  if (o.format === 'json') {
    out(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  out(`${s.budget.id}${s.budget.name ? ` (${s.budget.name})` : ''}: ${describeBudget(s.budget)}\n`);
  out(`  this period  ${s.window.start} → ${s.window.end}\n`);
  const f = s.forecast;
  const runOut =
    s.percent >= 100
      ? 'already'
      : f.run_out === null
        ? 'not this period'
        : `${f.run_out}${f.run_out_earliest && f.run_out_earliest !== f.run_out ? ` (as early as ${f.run_out_earliest})` : ''}`;
  out(`  spend        ${formatUsdOf(s.spend_usd, s.limit_usd)} (${s.percent.toFixed(2)}%)\n`);
  out(
    `  forecast     ${formatUsdDisplay(f.expected_usd)} by the period's end (${formatUsdDisplay(f.low_usd)} – ${formatUsdDisplay(f.high_usd)})\n`,
  );
  out(`  runs out     ${runOut}\n`);
  out(`  resets at    ${s.window.resets_at}\n`);
  for (const c of s.history) out(`  ${c.at}  ${c.actor}  ${c.action}\n`);
}
