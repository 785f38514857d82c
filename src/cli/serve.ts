import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer } from '../server/serve.js';
import { redactUrl } from '../store/clickhouse/url.js';
import { type LedgerOptions, ledgerPath, ledgerUrl, openServerStore } from './context.js';
import { parsePort, portNumber } from './filters.js';

export interface ServeCommandOptions extends LedgerOptions {
  host?: string;
  port?: string;
  /** OTLP/HTTP receiver port; "0" turns it off. */
  otlpPort?: string;
  /** OTLP/gRPC receiver port; "0" turns it off. */
  otlpGrpcPort?: string;
  config?: string;
  /** NAME=BASE_URL, repeatable. */
  upstream?: string[];
}

export const CONFIG_FILE = 'tokenledger.config.yaml';

/** `--config FILE`, else ./tokenledger.config.yaml when there is one, else none (serve runs on defaults). */
export function configPathOf(option: string | undefined, cwd: string): string | null {
  if (option !== undefined) return resolve(cwd, option);
  return existsSync(resolve(cwd, CONFIG_FILE)) ? resolve(cwd, CONFIG_FILE) : null;
}

/**
 * `tokenledger serve`: runs until SIGINT/SIGTERM, then drains the write-ahead log into the ledger and exits.
 * Flags: --host (127.0.0.1), --port (8787), --db, --prices, --config FILE (default ./tokenledger.config.yaml if
 * present), --upstream NAME=BASE_URL (repeatable).
 */
export async function serveCommand(
  o: ServeCommandOptions,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<void> {
  const cwd = process.cwd();
  const port = parsePort(o.port);
  const otlpPort = portOption(o.otlpPort, '4318', '--otlp-port', 'OTLP/HTTP');
  const otlpGrpcPort = portOption(o.otlpGrpcPort, '4317', '--otlp-grpc-port', 'OTLP/gRPC');
  const configPath = configPathOf(o.config, cwd);
  const path = ledgerPath(o);
  const url = ledgerUrl(o);
  const running = await startServer({
    ledgerPath: path,
    ledgerUrl: url,
    configPath,
    pricesPath: o.prices,
    host: o.host,
    port,
    otlpPort,
    otlpGrpcPort,
    otlpOptional: { http: o.otlpPort === undefined, grpc: o.otlpGrpcPort === undefined },
    upstream: o.upstream,
    cwd,
    env: process.env,
    // A second server on the same ledger is told which one holds it (CLI_LEDGER_SERVED), not DuckDB's lock error.
    openStore: (ledger) => openServerStore(url ?? ledger),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  out(`tokenledger gateway listening on ${running.url} (ledger ${url === null ? path : redactUrl(url)})\n`);
  out(`  OpenAI SDKs:    base URL ${running.url}/v1\n  Anthropic SDKs: base URL ${running.url}\n`);
  if (running.otlpUrl !== null)
    out(`  OpenTelemetry:  OTEL_EXPORTER_OTLP_ENDPOINT=${running.otlpUrl} (OTLP/HTTP)\n`);
  if (running.otlpGrpcUrl !== null)
    out(
      `  ${running.otlpUrl === null ? 'OpenTelemetry: ' : '               '} OTEL_EXPORTER_OTLP_ENDPOINT=${running.otlpGrpcUrl} ` +
        'with OTEL_EXPORTER_OTLP_PROTOCOL=grpc (OTLP/gRPC)\n',
    );
  out(`  Dashboard:      ${running.loginLink()}  (signs this browser in once; valid 15 minutes)\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      running.close().then(done, (e: Error) => {
        process.stderr.write(`error while stopping: ${e.message}\n`);
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** An OTLP receiver's port option: its default when absent, 0 for off. */
function portOption(value: string | undefined, otherwise: string, flag: string, what: string): number {
  return portNumber(
    value ?? otherwise,
    `${flag} ${JSON.stringify(value)}: expected a port number 1-65535, or 0 to turn ${what} off`,
  );
}
