import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/**
 * `tokenledger serve` as a child process a test can SIGKILL (serve-process.ts starts it): argv = ledger path, fake
 * provider URL, and optionally the OTLP/HTTP port (absent: the receivers are off). Prints the gateway's URL once
 * every listener is up.
 */
const [ledgerPath, upstream, otlpPort] = process.argv.slice(2) as [string, string, string | undefined];
const running = await startServer({
  ledgerPath,
  configPath: null,
  port: 0,
  ...(otlpPort === undefined ? {} : { otlpPort: Number(otlpPort) }),
  upstream: [`openai=${upstream}/v1`, `anthropic=${upstream}`],
  cwd: process.cwd(),
  // For calls with a virtual key (the kill test's keeping key): the provider key it is swapped for.
  env: { OPENAI_API_KEY: 'sk-provider' },
  openStore: (p) => createDuckDbStore(p),
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write(`${running.url}\n`);
process.on('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
