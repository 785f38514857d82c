import { BudgetBook } from '../budgets/book/budget-book.js';
import { type Budget, formatPeriod } from '../budgets/budget.js';
import type { BudgetStatus } from '../budgets/status.js';
import { TokenledgerError } from '../errors.js';
import { setOwn } from '../ledger/own-key.js';
import { formatUsdDisplay } from '../money/money.js';
import { budgetsEndpoint } from '../server/api/budgets.js';
import { askLedgerIfAny } from './ask-ledger.js';
import { cliActor, type LedgerOptions, ledgerPath, withRecords } from './context.js';
import { dimensionAlias } from './filters.js';
import { runningServer } from './running-server.js';

/** Flags of `budgets add` and `budgets update`; every one is optional for update. */
export interface BudgetFlags {
  scope?: string[];
  period?: string;
  limitUsd?: string;
  action?: string;
  downgradeTo?: string;
  thresholds?: string;
  tz?: string;
  name?: string;
}

function parseScope(pairs: readonly string[]): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1)
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `--scope ${JSON.stringify(p)}: expected DIMENSION=VALUE, e.g. team=payments`,
      );
    let k = p.slice(0, eq).trim();
    // `key` is the virtual key (dimensionAlias); `tags.K` and `tag.K` both name a tag.
    k = dimensionAlias(k) ?? k.replace(/^tags\./, 'tag.');
    // Own keys only: `in` finds constructor on the prototype, and `scope.__proto__ = v` sets no key.
    if (Object.hasOwn(scope, k))
      throw new TokenledgerError(
        'CLI_BAD_OPTION',
        `--scope ${k} is given twice; a budget's scope is an AND of different dimensions`,
      );
    setOwn(scope, k, p.slice(eq + 1).trim());
  }
  return scope;
}

function parseThresholds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((s) => !/^\d+$/.test(s)))
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--thresholds ${JSON.stringify(text)}: expected whole percents like 50,80,100`,
    );
  return parts.map(Number);
}

/** The budget definition the flags describe (only the flags given, for update). */
export function flagsToInput(f: BudgetFlags): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (f.scope !== undefined) input.scope = parseScope(f.scope);
  if (f.period !== undefined) input.period = f.period;
  if (f.limitUsd !== undefined) input.limit_usd = f.limitUsd;
  if (f.action !== undefined) input.action = f.action;
  if (f.downgradeTo !== undefined) input.downgrade_to = f.downgradeTo;
  if (f.thresholds !== undefined) input.thresholds = parseThresholds(f.thresholds);
  if (f.tz !== undefined) input.tz = f.tz;
  if (f.name !== undefined) input.name = f.name;
  return input;
}

/** The server reads the ledger's budgets again when they change, so these work whether or not it runs. */
function withBook<T>(o: LedgerOptions, use: (book: BudgetBook) => Promise<T>): Promise<T> {
  return withRecords(o, (r) => use(new BudgetBook(r)));
}

export function describeScope(scope: Budget['scope']): string {
  const parts = Object.entries(scope).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? 'whole organisation' : parts.join(' ');
}

export function describeBudget(b: Budget): string {
  const action = b.action === 'downgrade' ? `downgrade to ${b.downgrade_to}` : b.action;
  return `${describeScope(b.scope)}  ${formatPeriod(b.period)} (${b.tz})  ${formatUsdDisplay(b.limit_usd)}  ${action}  alerts at ${b.thresholds.join('/')}%`;
}

export async function budgetsAdd(o: LedgerOptions & BudgetFlags, out: (s: string) => void): Promise<Budget> {
  const input = flagsToInput(o);
  input.scope ??= {};
  const b = await withBook(o, (book) => book.create(input, cliActor(), 'cli'));
  out(`Created budget ${b.id}: ${describeBudget(b)}\n`);
  return b;
}

export async function budgetsUpdate(
  o: LedgerOptions & BudgetFlags & { id: string },
  out: (s: string) => void,
): Promise<void> {
  const changes = flagsToInput(o);
  if (Object.keys(changes).length === 0)
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      'nothing to change: give at least one of --limit-usd, --period, --action, …',
    );
  const b = await withBook(o, (book) => book.update(o.id, changes, cliActor()));
  out(`Updated budget ${b.id}: ${describeBudget(b)}\n`);
}

export async function budgetsRemove(
  o: LedgerOptions & { id: string },
  out: (s: string) => void,
): Promise<void> {
  const b = await withBook(o, (book) => book.remove(o.id, cliActor()));
  out(`Removed budget ${b.id} (${describeBudget(b)}); the change is in the audit log.\n`);
}

export async function budgetsList(
  o: LedgerOptions & { format?: string },
  out: (s: string) => void,
): Promise<void> {
  // A running server knows the budgets of its config file too; without one, the CLI knows only the ledger's own.
  // Either way each one's spend, read from the ledger once there is one.
  const server = await runningServer(ledgerPath(o));
  const listed = await budgetsWithSpend(o);
  if (o.format === 'json') {
    out(`${JSON.stringify({ budgets: listed.map((l) => l.budget) }, null, 2)}\n`);
    return;
  }
  if (listed.length === 0) {
    out(
      `No budgets${server ? '' : " of the ledger's own (a config file's budgets are listed while `tokenledger serve` runs with it)"}. Add one with: tokenledger budgets add --scope team=payments --period monthly --limit-usd 500 --action block\n`,
    );
    return;
  }
  for (const { budget: b, status: s } of listed) {
    // Whole percents rounded down: 100% is where the budget acts, so 99.6% must not read as reached.
    const spend = s ? `  spent ${formatUsdDisplay(s.spend_usd)} (${Math.floor(s.percent)}%)` : '';
    const origin = b.origin === 'config' ? '  (config)' : '';
    out(`${b.id}  ${b.name ? `${b.name}  ` : ''}${describeBudget(b)}${spend}${origin}\n`);
  }
}

async function budgetsWithSpend(
  o: LedgerOptions,
): Promise<{ budget: Budget; status: BudgetStatus | null }[]> {
  const known = await askLedgerIfAny<{ budgets: BudgetStatus[] }>(o, budgetsEndpoint);
  // Budgets can be set before any usage arrives: listed, with no spend to show.
  if (known === null) return (await fileBudgets(o)).map((budget) => ({ budget, status: null }));
  return known.budgets.map((s) => ({ budget: s.budget, status: s }));
}

function fileBudgets(o: LedgerOptions): Promise<readonly Budget[]> {
  return withBook(o, async (book) => {
    await book.load();
    return book.all();
  });
}

export async function budgetsHistory(
  o: LedgerOptions & { id?: string },
  out: (s: string) => void,
): Promise<void> {
  const changes = await withBook(o, (book) => book.history(o.id));
  if (changes.length === 0) {
    out(o.id === undefined ? 'No budget changes yet.\n' : `No changes to a budget ${o.id}.\n`);
    return;
  }
  for (const c of changes)
    out(
      `${c.at}  ${c.actor}  ${c.action} ${c.budget_id}  ${c.before ? `before: ${describeBudget(c.before)}` : ''}${c.before && c.after ? '  ' : ''}${c.after ? `after: ${describeBudget(c.after)}` : ''}\n`,
    );
}
