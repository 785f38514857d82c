import type { Wal } from '../../ledger/wal/wal.js';
import type { LoadPricerOptions } from '../../pricing/load.js';
import type { Overrides } from '../../pricing/overrides.js';
import { type AttributeMap, DEFAULT_ATTRIBUTES } from '../../sources/otlp/attribution.js';
import { createOtlpMapper } from './otlp-mapper.js';
import { createOtlpHttpServer, listenOtlp, type OtlpServer, type OtlpServerOptions } from './otlp-server.js';

export interface StartOtlpOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** How the worker loads the same prices as the gateway (loadPricer's options). */
  pricing: LoadPricerOptions;
  wal: Pick<Wal, 'appendEncoded' | 'depth'>;
  attributes?: AttributeMap;
  /** Exports refused with 503 beyond this many events waiting for the store (otlp-server.ts). */
  maxBehind?: number;
  /** Epoch µs from which cumulative series are new to the ledger (default: now, the server's start). */
  since?: number;
  log?: (line: string) => void;
  onAnswer?: OtlpServerOptions['onAnswer'];
}

export interface OtlpReceiver extends OtlpServer {
  /** The price overrides serve now prices with (price-reload.ts), for the exports that follow. */
  reloadPrices(overrides: Overrides | null): void;
}

/** Starts the OTLP/HTTP receiver beside the gateway (same process, same write-ahead log). */
export async function startOtlp(o: StartOtlpOptions): Promise<OtlpReceiver> {
  const mapper = createOtlpMapper({
    pricing: o.pricing,
    attributes: o.attributes ?? DEFAULT_ATTRIBUTES,
    since: o.since ?? Date.now() * 1000,
  });
  const server = createOtlpHttpServer({
    mapper,
    appendEncoded: (records, count) => o.wal.appendEncoded(records, count),
    behind: () => o.wal.depth(),
    ...(o.maxBehind === undefined ? {} : { maxBehind: o.maxBehind }),
    ...(o.log ? { log: o.log } : {}),
    ...(o.onAnswer ? { onAnswer: o.onAnswer } : {}),
  });
  const otlp = await listenOtlp(server, o.port, o.host).catch(async (e: unknown) => {
    await mapper.close(); // its worker thread would keep the process alive
    throw e;
  });
  return {
    url: otlp.url,
    reloadPrices: (overrides) => mapper.reloadPrices(overrides),
    async close() {
      await otlp.close();
      await mapper.close();
    },
  };
}
