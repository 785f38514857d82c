import { BudgetBook } from '../budgets/book/budget-book.js';
import type { Endpoint } from '../server/api/endpoint.js';
import { fromExactJson } from '../server/api/exact-json.js';
import { ledgerEventsEndpoint, ledgerQueryEndpoint } from '../server/api/ledger-calls.js';
import { parseParams, readQuery } from '../server/api/params.js';
import type { Store } from '../store/store.js';
import { type LedgerOptions, ledgerPath, withStore } from './context.js';
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
  return withStore(o, async (store) => {
    const ctx = {
      store,
      ledgerPath: path,
      now: () => Date.now() * 1000,
      budgets: new BudgetBook(path),
      pricer,
    };
    return (await e.handle(
      ctx,
      params,
      { role: 'admin', team: null, id: 'cli' },
      pathParams,
      undefined,
    )) as T;
  });
}

/** The store's read calls the CLI makes (report, events). */
export type LedgerReader = Pick<Store, 'query' | 'events'>;

/**
 * Runs `fn` on the ledger's store: through the running server when one holds the file (the same calls, answered
 * exactly: server/api/ledger-calls.ts), else on the file itself.
 */
export async function readLedger<T>(o: LedgerOptions, fn: (r: LedgerReader) => Promise<T>): Promise<T> {
  const server = await runningServer(ledgerPath(o));
  if (server === null) return withStore(o, fn);
  const call = async (path: string, body: unknown) => fromExactJson(await callApi(server, path, body));
  return fn({
    query: async (q) => (await call(ledgerQueryEndpoint.path, q)) as Awaited<ReturnType<Store['query']>>,
    events: async (f) => (await call(ledgerEventsEndpoint.path, f)) as Awaited<ReturnType<Store['events']>>,
  });
}
