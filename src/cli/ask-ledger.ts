import { BudgetBook } from '../budgets/book/budget-book.js';
import { TokenledgerError } from '../errors.js';
import type { Endpoint } from '../server/api/endpoint.js';
import { parseParams, readQuery } from '../server/api/params.js';
import { type LedgerOptions, ledgerPath, withRecords, withStore } from './context.js';
import { loadCliPricer } from './pricer.js';
import { callApi, runningServer } from './running-server.js';

/**
 * Answers a read-only API endpoint for the CLI: from the running server when one holds the ledger (the DuckDB file
 * has one writer), else by running the same endpoint on the file itself. Either way the answer is the same JSON.
 */
export async function askLedger<T>(
  o: LedgerOptions,
  e: Endpoint,
  query: URLSearchParams,
  pathParams: Record<string, string> = {},
): Promise<T> {
  const path = ledgerPath(o);
  const server = await runningServer(path);
  if (server !== null) {
    const route = e.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(pathParams[n] ?? ''));
    return callApi<T>(server, `${route}?${query}`);
  }
  const params = parseParams(e.params, readQuery(query));
  const pricer = await loadCliPricer(o);
  return withStore(
    o,
    (store) =>
      withRecords(o, async (records) => {
        const ctx = {
          store,
          ledgerPath: path,
          records,
          now: () => Date.now() * 1000,
          budgets: new BudgetBook(records),
          pricer,
        };
        return (await e.handle(
          ctx,
          params,
          { role: 'admin', team: null, id: 'cli' },
          pathParams,
          undefined,
        )) as T;
      }),
    // A read: with no ledger it says so, as `report` does, rather than leave an empty one behind.
    { existing: true },
  );
}

/**
 * askLedger for what can be listed before any usage arrives (keys, budgets): null when there is no ledger yet,
 * rather than CLI_NO_LEDGER.
 */
export async function askLedgerIfAny<T>(o: LedgerOptions, e: Endpoint): Promise<T | null> {
  try {
    return await askLedger<T>(o, e, new URLSearchParams());
  } catch (err) {
    if (err instanceof TokenledgerError && err.code === 'CLI_NO_LEDGER') return null;
    throw err;
  }
}
