import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codingNamed } from '../../http/content-coding.js';
import { readBody } from '../../http/read-body.js';
import { listen } from '../listen.js';
import { type Accepted, type ExportAcceptor, ExportRefused } from './accept-export.js';
import { exportResponse, RPC_STATUS, SIGNALS, type Signal } from './otlp-proto.js';

const PATHS: Record<string, Signal> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

/**
 * Gemini CLI from google-gemini/gemini-cli#6357 until #16836 built its OTLP/HTTP exporters with the endpoint as their
 * URL, so every signal went to `/` as OTLP/JSON. A JSON request tells its signal by its one top-level key; protobuf
 * bytes do not say reliably (the three requests share field 1 and the layout below it), so protobuf at `/` is a 404
 * that says where to send it.
 */
const ROOT = '/';

export interface OtlpServerOptions {
  /** Decodes, maps and logs an export (accept-export.ts), shared with the gRPC receiver. */
  acceptor: ExportAcceptor;
  /** Largest body accepted, after decompression (the acceptor's limit too). */
  bodyLimitBytes: number;
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

/** An export the acceptor refused, as OTLP/HTTP says: 400 or 413 for the sender's, 503 (retried) for ours. */
const fromRefusal = (e: ExportRefused) =>
  new HttpError(e.reason === 'bad' ? 400 : e.reason === 'large' ? 413 : 503, e.code, e.message);

/**
 * The OTLP/HTTP receiver (spec: opentelemetry-proto docs/specification.md, "OTLP/HTTP"): POST /v1/traces,
 * /v1/metrics and /v1/logs in binary protobuf or JSON, optionally gzip-compressed. A 200 is sent only after every
 * event of the batch is in the write-ahead log; records it could not use are counted in `partial_success` with the
 * first reasons; a body it cannot decode is a 400 with the reason; a failing log, or too much still waiting for the
 * store, is a 503 with Retry-After so exporters retry. This thread only reads, writes the log and answers: the
 * acceptor's mapper decodes, maps and prices in a worker thread.
 */
export function createOtlpHttpServer(o: OtlpServerOptions): Server {
  const limit = o.bodyLimitBytes;
  return createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const signal = PATHS[path];
    const json = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
    handle(req, path, signal, json)
      .then((partial) => {
        o.onAnswer?.(partial.signal, 200, partial.events, partial.rejected);
        respond(res, partial.signal, json, 200, partial);
      })
      .catch((e: unknown) => {
        const err =
          e instanceof HttpError
            ? e
            : e instanceof ExportRefused
              ? fromRefusal(e)
              : new HttpError(
                  503,
                  'OTLP_UNAVAILABLE',
                  `could not record the batch, retry later: ${(e as Error).message}`,
                );
        if (err.status >= 500 && err.code !== 'OTLP_BUSY') o.log?.(`otlp: ${err.message}`);
        req.resume();
        o.onAnswer?.(signal ?? 'unknown', err.status, 0, 0);
        // A 404 is no OTLP endpoint's answer, so not bound to the request's encoding: JSON, which an exporter's log
        // shows as the text it is (a protobuf Status would be bytes around it).
        respond(res, signal ?? 'traces', json || err.status === 404, err.status, {
          rejected: 0,
          message: `${err.code}: ${err.message}`,
        });
      });
  });

  async function handle(
    req: IncomingMessage,
    path: string,
    signal: Signal | undefined,
    json: boolean,
  ): Promise<Accepted> {
    if (signal === undefined && path !== ROOT)
      throw new HttpError(
        404,
        'OTLP_NOT_FOUND',
        `no route ${req.url}; OTLP/HTTP serves POST /v1/traces, /v1/metrics, /v1/logs`,
      );
    if (req.method !== 'POST') throw new HttpError(405, 'OTLP_METHOD', `${req.method} ${req.url}: use POST`);
    if (signal === undefined && !json) throw rootNotFound(req);
    o.acceptor.checkRoom(); // before the body is read: refusing a flood should cost little
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
    // One coding: the exporters' `compression` option names one (the Collector's: gzip by default, zstd, deflate…).
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    const none = encoding === 'identity' || encoding === '';
    const coding = none ? null : codingNamed(encoding);
    if (!none && coding === null)
      throw new HttpError(
        415,
        'OTLP_CONTENT_ENCODING',
        `content-encoding ${encoding}: send gzip, zstd, deflate, zlib, br or no encoding`,
      );
    return o.acceptor.accept(signal ?? null, body, { json, coding });
  }

  /** Protobuf (or any other type) POSTed to `/`: where to send it instead, with the base URL the sender used. */
  function rootNotFound(req: IncomingMessage): HttpError {
    const base = `http://${req.headers.host ?? '127.0.0.1:4318'}`;
    return new HttpError(
      404,
      'OTLP_NOT_FOUND',
      `POST / takes OTLP/JSON only (its signal is told from the body); a protobuf export must go to ` +
        `${base}/v1/traces, ${base}/v1/metrics or ${base}/v1/logs: set the exporter's base endpoint to ${base} ` +
        `(OTEL_EXPORTER_OTLP_ENDPOINT appends the paths). Gemini CLI: "otlpEndpoint": "${base}" with ` +
        `"otlpProtocol": "http", or its default gRPC to the OTLP/gRPC receiver (http://127.0.0.1:4317)`,
    );
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
      const response = exportResponse(signal, p.rejected, p.message);
      body = json ? JSON.stringify(response) : s.response.encode(s.response.fromObject(response)).finish();
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
