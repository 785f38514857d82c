import { BudgetBook } from '../budgets/book/budget-book.js';
import type { Endpoint } from '../server/api/endpoint.js';
import { parseParams, readQuery } from '../server/api/params.js';
import { type LedgerOptions, ledgerPath, withStore } from './context.js';
import { apiGet, runningServer } from './running-server.js';

/**
 * Answers a read-only API endpoint for the CLI: from the running server when one holds the ledger (the DuckDB file
 * has one writer), else by running the same endpoint on the file itself. Either way the answer is the same JSON.
 */
export async function askLedger<T>(o: LedgerOptions, e: Endpoint, query: URLSearchParams): Promise<T> {
  const path = ledgerPath(o);
  const server = await runningServer(path);
  if (server !== null) return apiGet<T>(server, `${e.path}?${query}`);
  const params = parseParams(e.params, readQuery(query));
  return withStore(o, async (store) => {
    const ctx = {
      store,
      ledgerPath: path,
      now: () => Date.now() * 1000,
      budgets: new BudgetBook(path),
      pricer: null,
    };
    return (await e.handle(ctx, params, { role: 'admin', team: null, id: 'cli' }, {}, undefined)) as T;
  });
}
