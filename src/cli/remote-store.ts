import { TokenledgerError } from '../errors.js';
import { fromExactJson, toExactJson } from '../server/api/exact-json.js';
import { type LedgerCall, ledgerCallPath } from '../server/api/ledger-calls.js';
import type { ServerFile } from '../server/server-file.js';
import type { FileState } from '../store/import-records.js';
import type { Store } from '../store/store.js';
import { callApi } from './running-server.js';

/**
 * The store of the server that holds the ledger, for CLI commands while it runs (ARCHITECTURE.md, Processes): each
 * call is the same call on the server's store (server/api/ledger-calls.ts), answered exactly, so `report`, `events`,
 * `import`, `reconcile`, `export` and `reprice` do what they do on the file itself. What only the file itself can
 * do says who holds it.
 */
export function remoteStore(server: ServerFile, ledgerPath: string): Store {
  const call = async <T>(name: LedgerCall, body: object): Promise<T> =>
    fromExactJson(await callApi(server, ledgerCallPath(name), toExactJson(body))) as T;
  const needsTheFile = async (): Promise<never> => {
    throw ledgerServed(ledgerPath, server);
  };
  return {
    id: 'remote',
    append: (events) => call('append', { events }),
    // Patches come only from the server's own OTLP receiver, through its write-ahead log.
    attribute: needsTheFile,
    // Call text comes only from the server's own gateway, through its write-ahead log.
    storeContent: needsTheFile,
    purgeContent: (f) => call('purge-content', f),
    content: (eventId, ts) => call('content', { event_id: eventId, ts }),
    query: (q) => call('query', q),
    energy: (q) => call('energy', q),
    cacheSavings: (q) => call('cache-savings', q),
    events: (f) => call('events', f),
    // Only the server's budget counters ask, of its own store.
    held: needsTheFile,
    count: () => call('count', {}),
    export: (o) => call('export', o),
    // The server reprices with its own pricer, and only if it prices as this command does (same version).
    reprice: (sel, repricer, now) => call('reprice', { ...sel, now, price_version: repricer.version }),
    repriceAudit: needsTheFile,
    records: {
      fileStates: async (source) =>
        new Map((await call<FileState[]>('file-states', { source })).map((s) => [s.path, s])),
      saveFileStates: async (states) => {
        await call('save-file-states', { states });
      },
      appendCosts: (records, ingestedAt) => call('append-costs', { records, ingested_at: ingestedAt }),
      appendActivity: (records, ingestedAt) => call('append-activity', { records, ingested_at: ingestedAt }),
      providerCosts: (f = {}) => call('provider-costs', f),
      computedCosts: (f = {}) => call('computed-costs', f),
      activity: needsTheFile,
    },
    close: async () => {},
  };
}

export function ledgerServed(ledgerPath: string, server: ServerFile, cause?: unknown): TokenledgerError {
  return new TokenledgerError(
    'CLI_LEDGER_SERVED',
    `the ledger ${ledgerPath} is held by \`tokenledger serve\` (pid ${server.pid}, ${server.url}), and this ` +
      'command needs the file itself: stop the server, run the command, then start the server again',
    cause === undefined ? undefined : { cause },
  );
}
