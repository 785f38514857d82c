import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/**
 * tokenledger serve for the benchmark. argv: port upstream-origin sync(on|off). A fresh ledger each run. The store
 * gets one DuckDB thread and a small buffer pool (TL_BENCH_DUCKDB_MEMORY, default 64MB): the server only appends
 * batches and answers small queries, and DuckDB's 512MB default lets RSS grow past what a sidecar should use.
 */
const [port, origin, sync] = process.argv.slice(2) as [string, string, string];
const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
await startServer({
  ledgerPath: join(dir, 'ledger.duckdb'),
  configPath: null,
  port: Number(port),
  upstream: [`openai=${origin}/v1`],
  cwd: dir,
  env: {},
  openStore: (p) =>
    createDuckDbStore(p, { threads: 1, memoryLimit: process.env.TL_BENCH_DUCKDB_MEMORY ?? '64MB' }),
  log: () => {},
  walSync: sync !== 'off',
});
process.stdout.write('ready\n');
