import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../http/read-body.js';
import { listen } from '../listen.js';
import { type MappedBatch, OtlpBodyError } from './map-batch.js';
import type { OtlpMapper } from './otlp-mapper.js';
import { RPC_STATUS, SIGNALS, type Signal } from './otlp-proto.js';

const PATHS: Record<string, Signal> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

export interface OtlpServerOptions {
  /** Turns bodies into priced log records, off the main thread. */
  mapper: OtlpMapper;
  /** Resolves once the records are in the write-ahead log (Wal.appendEncoded; `wal.sync` says when on disk). */
  appendEncoded: (records: Buffer, count: number) => Promise<void>;
  /** Largest body accepted, after decompression (default 64 MiB). */
  bodyLimitBytes?: number;
  /** Events acknowledged but not yet in the store (Wal.depth); with `maxBehind`, what sheds load. */
  behind?: () => number;
  /** Beyond this many events behind, exports get 503 and Retry-After instead of more memory (default 200,000). */
  maxBehind?: number;
  now?: () => number;
  log?: (line: string) => void;
  /** Each answer, for /metrics: events written, records rejected (0 unless the status is 200). */
  onAnswer?: (signal: Signal | 'unknown', status: number, events: number, rejected: number) => void;
}

export interface OtlpServer {
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The OTLP/HTTP receiver (spec: opentelemetry-proto docs/specification.md, "OTLP/HTTP"): POST /v1/traces,
 * /v1/metrics and /v1/logs in binary protobuf or JSON, optionally gzip-compressed. A 200 is sent only after every
 * event of the batch is in the write-ahead log; records it could not use are counted in `partial_success` with the
 * first reasons; a body it cannot decode is a 400 with the reason; a failing log is a 503 so exporters retry. This
 * thread only reads, writes the log and answers: `mapper` decodes, maps and prices in a worker thread.
 *
 * Exporters can send faster than the store takes events in (bursts acknowledged 20–40% faster than they reach
 * DuckDB on 2 cores, bench/RESULTS.md): what is acknowledged waits in memory, as log records, until it is stored. Past `maxBehind` events a
 * request is refused with 503 and Retry-After before its body is decoded, which OTLP exporters retry with backoff —
 * as the Collector's memory limiter does — so a flood costs latency, not the process.
 */
export function createOtlpHttpServer(o: OtlpServerOptions): Server {
  const limit = o.bodyLimitBytes ?? 64 * 1024 * 1024;
  const maxBehind = o.maxBehind ?? 200_000;
  const now = o.now ?? (() => Date.now() * 1000);
  return createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const signal = PATHS[path];
    const json = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
    handle(req, signal, json)
      .then((partial) => {
        o.onAnswer?.(signal!, 200, partial.events, partial.rejected);
        respond(res, signal!, json, 200, partial);
      })
      .catch((e: unknown) => {
        const err =
          e instanceof HttpError
            ? e
            : new HttpError(
                503,
                'OTLP_UNAVAILABLE',
                `could not record the batch, retry later: ${(e as Error).message}`,
              );
        if (err.status >= 500 && err.code !== 'OTLP_BUSY') o.log?.(`otlp: ${err.message}`);
        req.resume();
        o.onAnswer?.(signal ?? 'unknown', err.status, 0, 0);
        respond(res, signal ?? 'traces', json, err.status, {
          rejected: 0,
          message: `${err.code}: ${err.message}`,
        });
      });
  });

  async function handle(req: IncomingMessage, signal: Signal | undefined, json: boolean) {
    if (signal === undefined)
      throw new HttpError(
        404,
        'OTLP_NOT_FOUND',
        `no route ${req.url}; OTLP/HTTP serves POST /v1/traces, /v1/metrics, /v1/logs`,
      );
    if (req.method !== 'POST') throw new HttpError(405, 'OTLP_METHOD', `${req.method} ${req.url}: use POST`);
    const behind = o.behind?.() ?? 0;
    if (behind >= maxBehind)
      throw new HttpError(
        503,
        'OTLP_BUSY',
        `${behind} acknowledged events are still on their way into the store (limit ${maxBehind}); retry later`,
      );
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (!json && !type.startsWith('application/x-protobuf') && !type.startsWith('application/protobuf'))
      throw new HttpError(
        415,
        'OTLP_CONTENT_TYPE',
        `content-type ${JSON.stringify(type)}: send application/x-protobuf or application/json`,
      );
    const body = await readBody(
      req,
      limit,
      () => new HttpError(413, 'OTLP_TOO_LARGE', `body larger than ${limit} bytes; export smaller batches`),
    );
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity')
      throw new HttpError(
        415,
        'OTLP_CONTENT_ENCODING',
        `content-encoding ${encoding}: send gzip or no encoding`,
      );
    let mapped: MappedBatch;
    try {
      mapped = await o.mapper.map({
        signal,
        json,
        gzip: encoding === 'gzip',
        body,
        ingestedAt: now(),
        limitBytes: limit,
      });
    } catch (e) {
      if (e instanceof OtlpBodyError) throw new HttpError(400, e.code, e.message);
      throw e;
    }
    // One write-ahead-log write for the whole request: the 200 waits for all of it to be in the log.
    await o.appendEncoded(mapped.records, mapped.events);
    return { events: mapped.events, rejected: mapped.rejected, message: mapped.message };
  }

  function respond(
    res: ServerResponse,
    signal: Signal,
    json: boolean,
    status: number,
    p: { rejected: number; message: string },
  ) {
    const s = SIGNALS[signal];
    let body: Uint8Array | string;
    if (status === 200) {
      const partial = p.rejected > 0 ? { [s.rejectedField]: p.rejected, errorMessage: p.message } : undefined;
      body = json
        ? JSON.stringify(partial ? { partialSuccess: partial } : {})
        : s.response.encode(s.response.fromObject(partial ? { partialSuccess: partial } : {})).finish();
    } else {
      // google.rpc.Status; gRPC code 3 INVALID_ARGUMENT for client errors, 14 UNAVAILABLE for ours.
      const rpc = { code: status >= 500 ? 14 : 3, message: p.message };
      body = json ? JSON.stringify(rpc) : RPC_STATUS.encode(RPC_STATUS.fromObject(rpc)).finish();
    }
    const headers: Record<string, string | number> = {
      'content-type': json ? 'application/json' : 'application/x-protobuf',
      'content-length': Buffer.byteLength(body),
    };
    if (status === 503) headers['retry-after'] = 1;
    res.writeHead(status, headers).end(body);
  }
}

/** Listens on `port` (0 picks a free one) and resolves with the base URL. */
export async function listenOtlp(server: Server, port: number, host: string): Promise<OtlpServer> {
  await listen(server, port, host, '--otlp-port', 'turns the receiver off');
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      }),
  };
}
