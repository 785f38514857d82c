import type { Wal } from '../../ledger/wal/wal.js';
import type { Pricer } from '../../pricing/pricer.js';
import type { AttributeMap } from '../../sources/otlp/attribution.js';
import { createOtlpIngest } from '../../sources/otlp/ingest.js';
import { createOtlpHttpServer, listenOtlp, type OtlpServer } from './otlp-server.js';

export interface StartOtlpOptions {
  /** 0 turns the receiver off. */
  port: number;
  host: string;
  pricer: Pricer;
  wal: Pick<Wal, 'append' | 'appendMany' | 'depth'>;
  attributes?: AttributeMap;
  log?: (line: string) => void;
}

/** Starts the OTLP/HTTP receiver beside the gateway (same process, same write-ahead log), or nothing on port 0. */
export async function startOtlp(o: StartOtlpOptions): Promise<OtlpServer | null> {
  if (o.port === 0) return null;
  const ingest = createOtlpIngest({
    since: Date.now() * 1000,
    ...(o.attributes ? { attributes: o.attributes } : {}),
  });
  const server = createOtlpHttpServer({
    ingest,
    pricer: o.pricer,
    append: (e) => o.wal.append(e),
    appendMany: (events) => o.wal.appendMany(events),
    behind: () => o.wal.depth(),
    ...(o.log ? { log: o.log } : {}),
  });
  return listenOtlp(server, o.port, o.host);
}
