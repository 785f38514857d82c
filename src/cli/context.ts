import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { TokenledgerError } from '../errors.js';
import { parseTimeBound, parseUntilBound } from '../ledger/time.js';
import { type LedgerRecords, openLedgerRecords } from '../server/ledger-records.js';
import type { Store } from '../store/store.js';
import { runningServer } from './running-server.js';

/** Options every command that touches the ledger accepts. */
export interface LedgerOptions {
  db?: string;
  prices?: string;
}

const DEFAULT_DB = '.tokenledger/ledger.duckdb';

/**
 * --db, else TOKENLEDGER_DB, else .tokenledger/ledger.duckdb under the working directory. For a ClickHouse ledger
 * (ledgerUrl), a path under .tokenledger/ named for its server and database: what sits beside a ledger file (the
 * write-ahead log, keys, the running server's address) sits beside it, on this machine.
 */
export function ledgerPath(o: LedgerOptions, env = process.env, cwd = process.cwd()): string {
  const url = ledgerUrl(o, env);
  if (url === null) return resolve(cwd, o.db ?? env.TOKENLEDGER_DB ?? DEFAULT_DB);
  const { hostname, port, protocol, pathname } = new URL(url);
  const name = [
    hostname,
    port || (protocol === 'https:' ? '443' : '80'),
    decodeURIComponent(pathname.slice(1)),
  ]
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return resolve(cwd, dirname(DEFAULT_DB), `clickhouse-${name}`);
}

/** The ClickHouse ledger's URL when --db (or TOKENLEDGER_DB) is one (`http[s]://…/database`), else null. */
export function ledgerUrl(o: LedgerOptions, env = process.env): string | null {
  const db = o.db ?? env.TOKENLEDGER_DB;
  return db !== undefined && /^https?:\/\//i.test(db) ? db : null;
}

/** How a command wants the ledger opened (DuckDB's settings; the store's defaults otherwise). */
export interface StoreOpenOptions {
  memoryLimit?: string;
  threads?: number;
  /** DuckDbOptions.longRunning: for `serve`. */
  longRunning?: boolean;
  /** Rebuild the rollups once at close instead of per batch (DuckDbOptions.deferRollups): for bulk imports. */
  deferRollups?: boolean;
  /**
   * The command reads a ledger that must be there (report, events, export…): a path with none is an error that
   * says so, not a new empty ledger and an empty report (a mistyped --db made one, silently).
   */
  existing?: boolean;
  /** How long to wait for another process to let go of a DuckDB file before CLI_LEDGER_BUSY (default a minute). */
  lockWaitMs?: number;
}

/** For commands that read a ledger: one that is not there is an error, not a new empty ledger (a mistyped --db). */
export function ledgerMustExist(path: string): void {
  if (!existsSync(path))
    throw new TokenledgerError(
      'CLI_NO_LEDGER',
      `no ledger at ${path}: check --db (or TOKENLEDGER_DB), or fill one first (tokenledger import auto, ` +
        'tokenledger demo, or npm start)',
    );
}

async function openStore(o: LedgerOptions, open: StoreOpenOptions = {}): Promise<Store> {
  const url = ledgerUrl(o);
  // A ClickHouse database is made when missing, and several processes may write it: DuckDB's settings and its
  // one-writer rule do not apply.
  if (url !== null)
    return (await import('../store/clickhouse/clickhouse-store.js')).createClickHouseStore(url);
  const path = ledgerPath(o);
  if (open.existing) ledgerMustExist(path);
  mkdirSync(dirname(path), { recursive: true });
  const { createDuckDbStore } = await import('../store/duckdb/duckdb-store.js');
  const { existing, lockWaitMs = LOCK_WAIT_MS, ...duckdb } = open;
  const started = Date.now();
  for (let pause = 50, said = false; ; pause = Math.min(pause * 2, 500)) {
    try {
      return await createDuckDbStore(path, { ...duckdb, mustBeLedger: existing === true });
    } catch (e) {
      // A server that started since withStore looked, or one that holds the file and cannot be asked (serve itself).
      const server = e instanceof TokenledgerError ? await runningServer(path) : null;
      if (server !== null) throw (await import('./remote-store.js')).ledgerServed(path, server, e);
      // Another command has the file (a DuckDB file has one process at a time): it lets go when it ends, in
      // well under a second for a report or a `blocks --live` frame, so wait for it rather than fail.
      const holder = lockHolder(e);
      // Held by this very process (a caller that opened it and runs a command in-process): no wait ends that.
      if (holder === null || holder === String(process.pid) || open.longRunning) throw e;
      const waited = Date.now() - started;
      if (waited + pause > lockWaitMs)
        throw new TokenledgerError(
          'CLI_LEDGER_BUSY',
          `the ledger ${path} has been held by another process (pid ${holder}) for ${lockWaitMs / 1000} s: ` +
            'another tokenledger command, most likely; run this one when it has ended',
          { cause: e },
        );
      if (!said && waited >= 1000) {
        process.stderr.write(`waiting for another process (pid ${holder}) to let go of the ledger ${path}\n`);
        said = true;
      }
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** How long a command waits for another to let go of the ledger file before saying so and giving up. */
const LOCK_WAIT_MS = 60_000;

/** The pid of the process holding the ledger file, when that is why it could not be opened; else null. */
function lockHolder(e: unknown): string | null {
  const m = /Conflicting lock is held in .* \(PID (\d+)\)/.exec(e instanceof Error ? e.message : '');
  return m === null ? null : m[1]!;
}

/**
 * The ledger as `serve` opens it (the gateway benchmark's target opens it so too): `db` is a DuckDB file's path or a
 * ClickHouse URL.
 */
export function openServerStore(db: string): Promise<Store> {
  return openStore({ db }, { longRunning: true });
}

/** Who a command acts as, in the audit logs beside the ledger (budgets, reads of call text). */
export function cliActor(): string {
  return `cli:${userInfo().username}`;
}

export function nowMicros(): number {
  return Date.now() * 1000;
}

/** `zone`: the IANA zone dates and months are read in (`report --tz`); UTC by default. */
export function timeOption(
  name: string,
  value: string | undefined,
  now: number,
  zone = 'UTC',
): number | undefined {
  if (value === undefined) return undefined;
  try {
    return name === 'until' ? parseUntilBound(value, now, zone) : parseTimeBound(value, now, zone);
  } catch {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--${name} ${JSON.stringify(value)}: expected an age like 30d, 12h, 2w, a month like 2026-11 or a date like 2026-11-01`,
    );
  }
}

/**
 * The ledger's keys, API tokens and budgets (server/ledger-records.ts) for the length of `use`: files beside a
 * DuckDB ledger, which need no lock (a running server reads them again when they change), or a ClickHouse ledger's
 * rows.
 */
export async function withRecords<T>(o: LedgerOptions, use: (r: LedgerRecords) => Promise<T>): Promise<T> {
  const records = await openLedgerRecords(ledgerPath(o), ledgerUrl(o));
  try {
    return await use(records);
  } finally {
    await records.close();
  }
}

/**
 * Runs `fn` with the ledger's store and always closes it. While `tokenledger serve` holds the file (a DuckDB file has
 * one writing process), that is the server's store, over its API (remote-store.ts); else the file, opened here.
 */
export async function withStore<T>(
  o: LedgerOptions,
  fn: (store: Store) => Promise<T>,
  open: StoreOpenOptions = {},
): Promise<T> {
  const path = ledgerPath(o);
  const server = await runningServer(path);
  // Loaded only then: the API's schemas are no part of a command's start-up otherwise.
  if (server !== null) return fn((await import('./remote-store.js')).remoteStore(server, path));
  const made = !existsSync(path);
  const store = await openStore(o, open);
  let unused = false;
  try {
    return await fn(store);
  } catch (e) {
    // A command that failed before writing (a bad --prices, a bad option) leaves no new, empty ledger behind: the
    // next `report` on it would print an empty report instead of saying there is no ledger.
    unused = made && (await isEmpty(store).catch(() => false));
    throw e;
  } finally {
    await store.close();
    if (unused) for (const p of [path, `${path}.wal`]) rmSync(p, { force: true });
  }
}

/** Whether the ledger holds nothing an import writes: no events, provider costs or activity records. */
async function isEmpty(store: Store): Promise<boolean> {
  if ((await store.count()) > 0) return false;
  const r = store.records;
  return r === undefined || ((await r.providerCosts()).length === 0 && (await r.activity()).length === 0);
}

/** This machine's login: the user agent logs are imported under when they name none (import's default). */
export function osUser(): string | null {
  try {
    return userInfo().username || null;
  } catch {
    return null;
  }
}
