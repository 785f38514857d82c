import type { Wal } from '../../ledger/wal/wal.js';
import type { LoadPricerOptions } from '../../pricing/load.js';
import type { Overrides } from '../../pricing/overrides.js';
import { type AttributeMap, DEFAULT_ATTRIBUTES } from '../../sources/otlp/attribution.js';
import type { GpuPool } from '../../sources/otlp/gpu-energy.js';
import { portInUse } from '../listen.js';
import { exportAcceptor } from './accept-export.js';
import { startOtlpGrpc } from './otlp-grpc.js';
import { createOtlpMapper } from './otlp-mapper.js';
import type { Signal } from './otlp-proto.js';
import { createOtlpHttpServer, listenOtlp, type OtlpServer } from './otlp-server.js';

export interface StartOtlpOptions {
  /** OTLP/HTTP port: 0 picks a free one, null turns the HTTP receiver off. */
  port: number | null;
  /** OTLP/gRPC port: 0 picks a free one, null (or absent) turns the gRPC receiver off. */
  grpcPort?: number | null;
  /**
   * Ports that are defaults, not asked for: one found in use (an OpenTelemetry Collector often holds 4317 and 4318)
   * is left out and `log` says so, instead of failing the start.
   */
  optional?: { http?: boolean; grpc?: boolean };
  host: string;
  /** How the worker loads the same prices as the gateway (loadPricer's options). */
  pricing: LoadPricerOptions;
  wal: Pick<Wal, 'appendEncoded' | 'depth' | 'takesPrepared'>;
  attributes?: AttributeMap;
  /** GPUs whose energy counters count (config `otlp.gpus`). */
  gpus?: readonly GpuPool[];
  /** Exports refused as busy beyond this many events waiting for the store (accept-export.ts). */
  maxBehind?: number;
  /** Epoch µs from which cumulative series are new to the ledger (default: now, the server's start). */
  since?: number;
  /**
   * The file that keeps what the mapping remembers across restarts (ingest-journal.ts; serve's is
   * `<ledger>.otlp-state`). Absent: memory only, and a restart forgets it.
   */
  statePath?: string | null;
  /** Largest export accepted, after decompression (default 64 MiB). */
  bodyLimitBytes?: number;
  log?: (line: string) => void;
  /** Each answer, for /metrics: the transport's status (HTTP's number, gRPC's status name), events, rejections. */
  onAnswer?: (
    transport: 'http' | 'grpc',
    signal: Signal | 'unknown',
    status: string,
    events: number,
    rejected: number,
  ) => void;
}

export interface OtlpReceiver {
  /** OTLP/HTTP's base URL, or null when it is off. */
  url: string | null;
  /** OTLP/gRPC's endpoint (`http://host:port`, what OTEL_EXPORTER_OTLP_ENDPOINT takes), or null when it is off. */
  grpcUrl: string | null;
  /** The price overrides serve now prices with (price-reload.ts), for the exports that follow. */
  reloadPrices(overrides: Overrides | null): void;
  close(): Promise<void>;
}

/**
 * Starts the OTLP receivers beside the gateway (same process, same write-ahead log): OTLP/HTTP and OTLP/gRPC, each
 * on its own port, sharing one mapping worker and one acceptor, so an export is recorded the same whichever way it
 * came. A listener that cannot start closes whatever had started and rejects (SERVE_LISTEN_FAILED says which port).
 */
export async function startOtlp(o: StartOtlpOptions): Promise<OtlpReceiver> {
  const limit = o.bodyLimitBytes ?? 64 * 1024 * 1024;
  const mapper = createOtlpMapper({
    pricing: o.pricing,
    attributes: o.attributes ?? DEFAULT_ATTRIBUTES,
    gpus: o.gpus,
    since: o.since ?? Date.now() * 1000,
    keep: o.wal.takesPrepared,
    statePath: o.statePath ?? null,
    ...(o.log ? { log: o.log } : {}),
  });
  const acceptor = exportAcceptor({
    mapper,
    appendEncoded: (records, count, key, stateCopied) =>
      o.wal.appendEncoded(
        records,
        count,
        key === null ? undefined : { runs: mapper, key },
        stateCopied ?? undefined,
      ),
    limitBytes: limit,
    behind: () => o.wal.depth(),
    ...(o.maxBehind === undefined ? {} : { maxBehind: o.maxBehind }),
  });
  const listening: OtlpServer[] = [];
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all(listening.map((l) => l.close()));
      await mapper.close(); // its worker thread would keep the process alive
    })());
  const log = o.log ? { log: o.log } : {};
  // A default port someone else holds: serve without that receiver, and say so.
  const unlessTaken = async (
    optional: boolean | undefined,
    port: number,
    flag: string,
    what: string,
    start: () => Promise<OtlpServer>,
  ): Promise<OtlpServer | null> => {
    try {
      const l = await start();
      listening.push(l);
      return l;
    } catch (e) {
      if (!optional || !portInUse(e)) throw e;
      o.log?.(
        `note: ${o.host}:${port} is in use (an OpenTelemetry Collector?): serving without the ${what} receiver; ` +
          `pass ${flag} N to run it on another port`,
      );
      return null;
    }
  };
  let http: OtlpServer | null = null;
  let grpc: OtlpServer | null = null;
  try {
    const { port, grpcPort } = o;
    if (port !== null)
      http = await unlessTaken(o.optional?.http, port, '--otlp-port', 'OTLP/HTTP', () =>
        listenOtlp(
          createOtlpHttpServer({
            acceptor,
            bodyLimitBytes: limit,
            ...log,
            onAnswer: (signal, status, events, rejected) =>
              o.onAnswer?.('http', signal, String(status), events, rejected),
          }),
          port,
          o.host,
        ),
      );
    if (grpcPort !== null && grpcPort !== undefined)
      grpc = await unlessTaken(o.optional?.grpc, grpcPort, '--otlp-grpc-port', 'OTLP/gRPC', () =>
        startOtlpGrpc(
          {
            acceptor,
            bodyLimitBytes: limit,
            ...log,
            onAnswer: (signal, status, events, rejected) =>
              o.onAnswer?.('grpc', signal, status, events, rejected),
          },
          grpcPort,
          o.host,
        ),
      );
  } catch (e) {
    await close();
    throw e;
  }
  if (listening.length === 0) await close(); // nothing to receive: no idle worker thread either
  return {
    url: http?.url ?? null,
    grpcUrl: grpc?.url ?? null,
    reloadPrices: (overrides) => mapper.reloadPrices(overrides),
    close,
  };
}
