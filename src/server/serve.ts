import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { openResponseCache } from '../gateway/cache/open-cache.js';
import type { ResponseCache } from '../gateway/cache/response-cache.js';
import { type GatewayConfig, type GatewayFlags, readGatewayConfig } from '../gateway/config.js';
import { KeyRing } from '../gateway/keys/key-ring.js';
import { GatewayMetrics } from '../gateway/metrics.js';
import { Gateway } from '../gateway/pipeline.js';
import { loadRouters, strongestModels } from '../gateway/routers.js';
import { DAMAGED_FILE, openWal, type Wal, type WalSync } from '../ledger/wal/wal.js';
import { LivePricer } from '../pricing/live-pricer.js';
import { loadPricer } from '../pricing/load.js';
import { demoRoi } from '../roi/demo-repo.js';
import { roiSourceOf } from '../roi/roi-report.js';
import { attributeMap } from '../sources/otlp/attribution.js';
import type { Store } from '../store/store.js';
import { createApi } from './api/api.js';
import { createHttpServer } from './http-server.js';
import { type LedgerRecords, openLedgerRecords } from './ledger-records.js';
import { listen } from './listen.js';
import { appendJournalLines, ingestJournalPath } from './otlp/ingest-journal.js';
import { type OtlpReceiver, startOtlp } from './otlp/start-otlp.js';
import { watchPriceOverrides } from './price-reload.js';
import { startRetention } from './retention.js';
import { removeServerFile, serverFilePath, writeServerFile } from './server-file.js';
import { setServerV8Flags } from './server-v8-flags.js';
import { type Budgets, startBudgets } from './start-budgets.js';
import { createStaticHandler } from './static.js';
import { favourServingThread } from './thread-priority.js';

/** `<ledger>.wal-segments/`: not `<ledger>.wal`, which is DuckDB's own log file. */
export function walDir(ledgerPath: string): string {
  return `${ledgerPath.replace(/\.duckdb$/, '')}.wal-segments`;
}

export interface ServeOptions extends GatewayFlags {
  /** Absolute ledger path. */
  ledgerPath: string;
  /** A ClickHouse ledger's URL (cli/context.ts, ledgerUrl): its keys, API tokens and budgets are in its database. */
  ledgerUrl?: string | null;
  configPath: string | null;
  pricesPath?: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Opens the store; the server owns it until close. */
  openStore: (path: string) => Promise<Store>;
  log: (line: string) => void;
  /** When acknowledged events are synced (default from config: `after_ack`). */
  walSync?: WalSync | undefined;
  /** OTLP/HTTP receiver port (`serve` passes 4318); absent or 0 turns it off. */
  otlpPort?: number | undefined;
  /** OTLP/gRPC receiver port (`serve` passes 4317); absent or 0 turns it off. */
  otlpGrpcPort?: number | undefined;
  /**
   * Which OTLP ports are defaults, not asked for: one that is taken (an OpenTelemetry Collector often holds 4317
   * and 4318) is left out and the server says so, instead of not starting at all.
   */
  otlpOptional?: { http?: boolean; grpc?: boolean };
  /** The API's clock (epoch µs) for relative ranges like `since=30d`; benchmarks pin it. */
  apiNow?: () => number;
}

export interface RunningServer {
  url: string;
  config: GatewayConfig;
  wal: Wal;
  store: Store;
  /** A one-time dashboard login link (admin, 15 minutes): what `npm start` prints. */
  loginLink(): string;
  /** The OTLP/HTTP receiver's base URL, or null when it is off (--otlp-port 0). */
  otlpUrl: string | null;
  /** The OTLP/gRPC receiver's endpoint, or null when it is off (--otlp-grpc-port 0). */
  otlpGrpcUrl: string | null;
  close(): Promise<void>;
}

/**
 * Starts `tokenledger serve`: validates the config (misconfiguration fails here, not on the first request), opens
 * the store, replays the WAL into it, then listens. `close` stops accepting calls, waits for those in flight, moves
 * the WAL into the store and closes it.
 */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  setServerV8Flags();
  const config = await readGatewayConfig(o.configPath, o);
  const configDir = o.configPath === null ? o.cwd : dirname(o.configPath);
  const routers = await loadRouters(config.routers, configDir);
  // Without `roi:`, the ROI page reads the demo's repository where the demo filled this ledger (docs/demo.md).
  const roi = roiSourceOf(config.roi ?? demoRoi(o.ledgerPath), configDir);
  const pricing = { overridesPath: o.pricesPath, cwd: o.cwd, env: o.env };
  const pricer = new LivePricer(await loadPricer(pricing));
  const store = await o.openStore(o.ledgerPath);
  const metrics = new GatewayMetrics();
  let wal: Wal;
  try {
    wal = await openWal({
      dir: walDir(o.ledgerPath),
      sink: store,
      sync: o.walSync ?? config.wal.sync,
      drainIntervalMs: config.wal.drain_interval_ms,
      onError: (e) =>
        o.log(`warning: moving the write-ahead log into the store failed (will retry): ${e.message}`),
      onRefused: (r) => {
        metrics.recordRefused(r.count);
        o.log(
          `error: the store refused ${r.count} acknowledged event(s); kept in ${r.path} to fix and import (${r.reason})`,
        );
      },
      onRetired: (count) => {
        metrics.recordRetired(count);
        o.log(
          `warning: ${count} acknowledged event(s) dated before the ledger's raw horizon were not added: ` +
            "their days are kept only as daily sums (a sender's clock months wrong?)",
        );
      },
      // Cumulative series' points the log took with their exports' events, which the state file may not have yet.
      onOtlpState: (lines) => appendJournalLines(ingestJournalPath(o.ledgerPath), lines),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  if (wal.replayed.events > 0)
    o.log(`replayed ${wal.replayed.events} events from the write-ahead log (${wal.replayed.inserted} new)`);
  if (wal.replayed.damaged > 0)
    o.log(
      `error: ${wal.replayed.damaged} damaged line(s) of the write-ahead log could not be read (checksum or format): the calls in them are not in the ledger; kept in ${join(walDir(o.ledgerPath), DAMAGED_FILE)}`,
    );
  // After the replay, so what the log still held is past its retention too.
  let retention: ReturnType<typeof startRetention>;
  try {
    retention = startRetention(
      store,
      { content: config.content_retention_days, raw: config.raw_retention_days },
      o.log,
    );
  } catch (e) {
    await wal.close();
    await store.close();
    throw e;
  }
  await retention.purged;
  // Closed with the rest on every way out below: each `catch` that closes the store closes them too.
  let records: LedgerRecords | null = null;
  const closeOpened = async () => {
    retention.stop();
    await records?.close();
    await wal.close();
    await store.close();
  };
  let keys: KeyRing;
  try {
    records = await openLedgerRecords(o.ledgerPath, o.ledgerUrl ?? null);
    keys = new KeyRing(records.keys);
    await keys.load();
  } catch (e) {
    await closeOpened();
    throw e;
  }
  // Said at start-up, not first at a caller's 500 (GW_PROVIDER_KEY_MISSING): a virtual key's calls use the server's
  // provider key. Only where virtual keys are in use; a caller's own key passes through without one.
  for (const u of config.upstreams.values())
    if (
      u.key_env !== null &&
      !o.env[u.key_env] &&
      (u.require_virtual_key || config.keys_required || keys.size > 0)
    )
      o.log(`warning: ${u.key_env} is not set: calls with a virtual key cannot reach upstream ${u.name}`);
  let budgets: Budgets;
  try {
    budgets = await startBudgets({
      config,
      pricer,
      store,
      keys,
      records,
      ledgerPath: o.ledgerPath,
      env: o.env,
      log: o.log,
      drain: () => wal.drain(),
    });
  } catch (e) {
    await closeOpened();
    throw e;
  }
  let cache: ResponseCache | null;
  try {
    cache = await openResponseCache(config, o.env, () => metrics.recordCacheUnavailable());
  } catch (e) {
    await budgets.close();
    await closeOpened();
    throw e;
  }
  const gateway = new Gateway({
    config,
    pricer,
    record: (e, content) => wal.append(e, content),
    keys,
    metrics,
    env: o.env,
    enforcer: budgets.enforcement.enforcer,
    sessions: budgets.sessions,
    routers: new Map([...routers].map(([name, r]) => [name, r.router])),
    cache,
  });
  // An edited overrides file prices the next call, the gateway's and OTLP's alike, without a restart.
  let otlp: OtlpReceiver | null = null;
  const prices = watchPriceOverrides({
    pricing,
    pricer,
    onReload: (overrides) => otlp?.reloadPrices(overrides),
    log: o.log,
  });
  const adminToken = o.env.TOKENLEDGER_ADMIN_TOKEN || randomBytes(24).toString('base64url');
  const api = createApi({
    store,
    ledgerPath: o.ledgerPath,
    records,
    adminToken,
    log: o.log,
    budgets: budgets.book,
    pricer,
    refreshPrices: () => prices.check(),
    receivers: () => ({ otlp_http_port: portOf(otlp?.url), otlp_grpc_port: portOf(otlp?.grpcUrl) }),
    roi,
    strongest: strongestModels(routers, config.aliases),
    ...(o.apiNow ? { now: o.apiNow } : {}),
  });
  const server = createHttpServer({
    gateway,
    metrics: () => metrics.render(wal.depth()) + budgets.metrics(),
    health: () => ({ status: 'ok', wal_depth: wal.depth(), virtual_keys: keys.size }),
    // /api/* (keys included) is the API's: admin and viewer tokens, team scope (src/server/api).
    handlers: [api.handle, createStaticHandler()],
  });
  // Whatever fails from here on leaves nothing open: the process (or a test) goes on without a half-started server.
  const release = async (e: unknown): Promise<never> => {
    prices.stop();
    server.close();
    await gateway.close();
    await budgets.close();
    await closeOpened();
    throw e;
  };
  await listen(server, config.port, config.host, '--port', 'picks a free one').catch(release);
  // --otlp-port 0 and --otlp-grpc-port 0 (or none given here) turn the receivers off.
  otlp =
    o.otlpPort || o.otlpGrpcPort
      ? await startOtlp({
          port: o.otlpPort || null,
          grpcPort: o.otlpGrpcPort || null,
          optional: o.otlpOptional ?? {},
          host: config.host,
          pricing,
          wal,
          statePath: ingestJournalPath(o.ledgerPath),
          attributes: attributeMap(config.otlp_attributes),
          gpus: config.otlp_gpus,
          log: o.log,
          onAnswer: (transport, signal, status, events, rejected) =>
            metrics.recordOtlp(transport, signal, status, events, rejected),
        }).catch(release)
      : null;
  // Requests first: the store's appends, syncs, GC helpers and the OTLP worker run below this thread.
  const stopFavouring = favourServingThread();
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  if (!isLoopback(addr.address)) o.log(exposedNote(host, config.keys_required));
  const infoPath = serverFilePath(o.ledgerPath);
  await writeServerFile(infoPath, {
    url,
    pid: process.pid,
    admin_token: adminToken,
    started_at: new Date().toISOString(),
  });
  let closing: Promise<void> | null = null;
  return {
    url,
    config,
    wal,
    store,
    otlpUrl: otlp?.url ?? null,
    otlpGrpcUrl: otlp?.grpcUrl ?? null,
    loginLink: () => api.loginLink(url),
    close() {
      closing ??= (async () => {
        gateway.closeSockets();
        // In-flight calls get a grace period to finish (and be recorded); then connections are cut.
        const grace = setTimeout(() => server.closeAllConnections(), 5_000);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        clearTimeout(grace);
        stopFavouring();
        prices.stop();
        await otlp?.close();
        await gateway.close();
        await budgets.close();
        await closeOpened();
        await removeServerFile(infoPath);
      })();
      return closing;
    },
  };
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Said once at start-up when the server is reachable from other machines (--host, or server.host in the config). */
export function exposedNote(host: string, keysRequired: boolean): string {
  return (
    `note: listening on ${host}, reachable from other machines. Traffic is plain HTTP: put TLS in front of it (a ` +
    'reverse proxy) before keys or prompts cross a network.' +
    (keysRequired
      ? ''
      : ' Callers without a virtual key are let through with their own provider keys; keys: { required: true } ' +
        'in tokenledger.config.yaml refuses them.')
  );
}

/** The port of a receiver's URL (`http://127.0.0.1:4318`), or null when the receiver is off. */
function portOf(url: string | null | undefined): number | null {
  return url ? Number(new URL(url).port) : null;
}
