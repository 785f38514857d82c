import { startServer } from '../../src/server/serve.js';
import { createDuckDbStore } from '../../src/store/duckdb/duckdb-store.js';

/** `tokenledger serve` with a config file, as a child process: argv = ledger path, upstream URL, config path. */
const [ledgerPath, upstream, configPath] = process.argv.slice(2) as [string, string, string];
const running = await startServer({
  ledgerPath,
  configPath,
  port: 0,
  upstream: [`openai=${upstream}/v1`],
  cwd: process.cwd(),
  env: process.env,
  openStore: (p) => createDuckDbStore(p),
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write(`${running.url}\n`);
process.on('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
