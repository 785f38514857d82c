import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/** tokenledger serve for the benchmark. argv: port upstream-origin sync(on|off). A fresh ledger each run. */
const [port, origin, sync] = process.argv.slice(2) as [string, string, string];
const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
await startServer({
  ledgerPath: join(dir, 'ledger.duckdb'),
  configPath: null,
  port: Number(port),
  upstream: [`openai=${origin}/v1`],
  cwd: dir,
  env: {},
  openStore: (p) => createDuckDbStore(p, { threads: 1 }),
  log: () => {},
  walSync: sync !== 'off',
});
process.stdout.write('ready\n');
