import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WalSync } from '../../src/ledger/wal/wal.js';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * tokenledger serve for the benchmark. argv: port upstream-origin sync (after_ack|before_ack|off). A fresh ledger each run. The store
 * gets one DuckDB thread and a small buffer pool (TL_BENCH_DUCKDB_MEMORY, default 64MB): the server only appends
 * batches and answers small queries, and DuckDB's 512MB default lets RSS grow past what a sidecar should use.
 * TL_BENCH_STORE=none makes the store's append a no-op (everything else real), to split the gateway's own cost
 * from the store's in bench/gateway/cpu.ts; the published run never sets it.
 */
const [port, origin, sync] = process.argv.slice(2) as [string, string, WalSync];
const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
const noStore = process.env.TL_BENCH_STORE === 'none';
await startServer({
  ledgerPath: join(dir, 'ledger.duckdb'),
  configPath: null,
  port: Number(port),
  upstream: [`openai=${origin}/v1`],
  cwd: dir,
  env: {},
  openStore: async (p) => {
    const s = await createDuckDbStore(p, {
      threads: 1,
      memoryLimit: process.env.TL_BENCH_DUCKDB_MEMORY ?? '64MB',
    });
    return noStore ? withoutAppend(s) : s;
  },
  log: () => {},
  walSync: sync,
});
process.stdout.write('ready\n');
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile (bench/gateway/cpu.ts).
process.on('SIGTERM', () => process.exit(0));

function withoutAppend(s: Store): Store {
  return new Proxy(s, {
    get(t, k) {
      if (k === 'append')
        return async (events: readonly unknown[]) => ({ inserted: events.length, duplicates: 0 });
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}
