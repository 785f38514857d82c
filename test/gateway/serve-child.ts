import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/** `tokenledger serve` as a child process the kill test can SIGKILL: argv = ledger path, fake provider URL. */
const [ledgerPath, upstream] = process.argv.slice(2) as [string, string];
const running = await startServer({
  ledgerPath,
  configPath: null,
  port: 0,
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
