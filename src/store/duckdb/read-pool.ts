import type { DuckDBConnection } from '@duckdb/node-api';
import { storeError } from '../errors.js';

/**
 * Extra connections for reads, so reports issued together (the overview's seven calls) run side by side instead of
 * queueing behind each other and behind appends on the store's one connection. Each sees the last committed state
 * (DuckDB MVCC). Temp tables are per connection: `connect` gives each its own (empty) pending rollup tables, so the
 * same SQL compiles for both; the store sends a report here only when no day it reads from the rollup has pending
 * rows (those live in the writing connection alone).
 */
export class ReadPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  private readonly busy = new Set<Promise<unknown>>();
  private opened = 0;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<DuckDBConnection>,
    /** At most this many reads at once; more wait for a connection. The machine has few cores to share anyway. */
    private readonly size = 4,
  ) {}

  /** Runs `fn` on a pooled connection. */
  use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(storeError('STORE_CLOSED', 'the store is closed; open it again'));
    const run = (async () => {
      const c = await this.acquire();
      try {
        return await fn(c);
      } finally {
        this.release(c);
      }
    })();
    const tracked = run.catch(() => undefined);
    this.busy.add(tracked);
    void tracked.then(() => this.busy.delete(tracked));
    return run;
  }

  private async acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return c;
    if (this.opened < this.size) {
      this.opened++;
      return this.connect();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }

  /** Waits for reads in flight, then closes every connection (before the instance is closed). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.busy]);
    for (const c of this.idle.splice(0)) c.closeSync();
  }
}
