import type {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBType,
  DuckDBValue,
} from '@duckdb/node-api';
import { storeError } from '../errors.js';
import { Serial } from '../serial.js';

export type SqlParam = string | number | bigint | boolean | null | DuckDBListValue;

/**
 * The thin I/O shell around one DuckDB connection: every statement goes through here so a failure always carries
 * what the store was doing (never the bound values: they can hold user text) and the driver's error as `cause`.
 */
export class DuckDbSession {
  private readonly queue = new Serial();
  private closed = false;

  constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    /** Statements every connection on the ledger runs first (choosing the attached ledger file as its catalog). */
    private readonly setup: readonly string[] = [],
  ) {}

  /** Another connection on the same ledger, for reads beside this session's own. */
  async connect(): Promise<DuckDBConnection> {
    const c = await this.instance.connect();
    await this.setUp(c);
    return c;
  }

  async setUp(c: DuckDBConnection): Promise<void> {
    for (const sql of this.setup) await c.run(sql);
  }

  /** `types`: the parameters' types, where inferring them from the values would not do (a list with nulls in it). */
  async run(
    what: string,
    sql: string,
    params: readonly SqlParam[] = [],
    types?: readonly DuckDBType[],
  ): Promise<number> {
    try {
      const r = await this.conn.run(sql, values(params), types as DuckDBType[] | undefined);
      return Number(r.rowsChanged);
    } catch (err) {
      throw failed(what, err);
    }
  }

  async rows(what: string, sql: string, params: readonly SqlParam[] = []): Promise<DuckDBValue[][]> {
    try {
      const r = await this.conn.runAndReadAll(sql, values(params));
      return r.getRows();
    } catch (err) {
      throw failed(what, err);
    }
  }

  /** A driver error as the store's error, saying what was being done. */
  wrap(what: string, err: unknown) {
    return failed(what, err);
  }

  /** Runs `fn` in one transaction: everything it writes lands together or not at all. */
  async transaction<T>(what: string, fn: () => Promise<T>): Promise<T> {
    await this.run(what, 'BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.run(what, 'COMMIT');
      return out;
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Serialises operations: one connection carries one transaction at a time, so two appends started together must
   * not interleave their statements.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(storeError('STORE_CLOSED', 'the store is closed; open it again'));
    return this.queue.run(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.idle();
    this.closed = true;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

function failed(what: string, err: unknown) {
  const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return storeError('STORE_SQL_FAILED', `${what} failed: ${reason}`, err);
}

/**
 * Bound values for the driver, or none: given any array, even an empty one, @duckdb/node-api extracts, prepares,
 * binds and then destroys the statement (synchronously, on this thread) instead of running it in one call.
 */
function values(params: readonly SqlParam[]): DuckDBValue[] | undefined {
  return params.length === 0 ? undefined : (params as DuckDBValue[]);
}
