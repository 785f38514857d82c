import { join } from 'node:path';
import { startServer } from '../../src/server/serve.js';
import { createClickHouseStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/**
 * `tokenledger serve` as a child process a test can SIGKILL (serve-process.ts starts it): argv = ledger path (or a
 * ClickHouse URL, then the local files' folder), fake provider URL, and optionally the OTLP/HTTP port (absent: the
 * receivers are off). Prints the gateway's URL once every listener is up.
 */
const [ledger, upstream, otlpPort, local] = process.argv.slice(2) as [
  string,
  string,
  string | undefined,
  string?,
];
const clickhouse = /^https?:\/\//.test(ledger);
const running = await startServer({
  ledgerPath: clickhouse ? join(local!, 'ledger') : ledger,
  ledgerUrl: clickhouse ? ledger : null,
  configPath: null,
  port: 0,
  ...(otlpPort === undefined ? {} : { otlpPort: Number(otlpPort) }),
  upstream: [`openai=${upstream}/v1`, `anthropic=${upstream}`],
  cwd: process.cwd(),
  // For calls with a virtual key (the kill test's keeping key): the provider key it is swapped for.
  env: { OPENAI_API_KEY: 'sk-provider' },
  openStore: (p) => (clickhouse ? createClickHouseStore(ledger) : createDuckDbStore(p)),
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write(`${running.url}\n`);
process.on('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
