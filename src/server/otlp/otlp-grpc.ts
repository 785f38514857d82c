import type { MethodDefinition, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { listenError } from '../listen.js';
import { type ExportAcceptor, ExportRefused } from './accept-export.js';
import { exportResponse, SIGNALS, type Signal } from './otlp-proto.js';
import type { OtlpServer } from './otlp-server.js';

export interface OtlpGrpcOptions {
  /** Decodes, maps and logs an export (accept-export.ts), shared with the HTTP receiver. */
  acceptor: ExportAcceptor;
  /** Largest message accepted, after decompression. */
  bodyLimitBytes: number;
  log?: (line: string) => void;
  /** Each answer, for /metrics: its gRPC status name, events written, records rejected. */
  onAnswer?: (signal: Signal, status: string, events: number, rejected: number) => void;
}

/**
 * The OTLP/gRPC receiver (spec: opentelemetry-proto docs/specification.md, "OTLP/gRPC"): the unary Export method of
 * the trace, metrics and logs collector services, served by @grpc/grpc-js. grpc-js frames the messages and
 * decompresses gzip ones (grpc-encoding); each message's bytes go, undecoded here, to the same acceptor as an
 * OTLP/HTTP protobuf body. The spec's answers: OK once every event is in the write-ahead log, with partial_success
 * for records not used; INVALID_ARGUMENT for a message that does not decode (not retried); UNAVAILABLE when too much
 * waits for the store or the log fails, which is gRPC's backpressure signal (exporters retry with backoff).
 *
 * Loaded only when the gRPC port is on: grpc-js is ~0.1 s and ~14 MB of the process.
 */
export async function startOtlpGrpc(o: OtlpGrpcOptions, port: number, host: string): Promise<OtlpServer> {
  const grpc = await import('@grpc/grpc-js');
  // Every failure it would log is answered or reported here (listen errors by listenError, calls by status);
  // its own logger would print them again to stderr as "E No address added…".
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': o.bodyLimitBytes,
  });
  for (const signal of Object.keys(SIGNALS) as Signal[]) {
    const s = SIGNALS[signal];
    const method: MethodDefinition<Buffer, Uint8Array> = {
      path: s.grpcPath,
      requestStream: false,
      responseStream: false,
      // Raw bytes both ways: the acceptor's worker decodes the request; the response is encoded below.
      requestSerialize: (b) => b,
      requestDeserialize: (b) => b,
      responseSerialize: (r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength),
      responseDeserialize: (b) => b,
    };
    const exportCall = (call: ServerUnaryCall<Buffer, Uint8Array>, done: sendUnaryData<Uint8Array>) => {
      o.acceptor.accept(signal, call.request, { json: false, coding: null }).then(
        (a) => {
          o.onAnswer?.(signal, 'OK', a.events, a.rejected);
          done(
            null,
            s.response.encode(s.response.fromObject(exportResponse(signal, a.rejected, a.message))).finish(),
          );
        },
        (e: unknown) => {
          const refused =
            e instanceof ExportRefused
              ? e
              : new ExportRefused(
                  'failed',
                  'OTLP_UNAVAILABLE',
                  `could not record the batch: ${(e as Error).message}`,
                );
          const code =
            refused.reason === 'bad'
              ? grpc.status.INVALID_ARGUMENT
              : refused.reason === 'large'
                ? grpc.status.RESOURCE_EXHAUSTED
                : grpc.status.UNAVAILABLE;
          if (refused.reason === 'failed') o.log?.(`otlp: ${refused.message}`);
          o.onAnswer?.(signal, grpc.status[code], 0, 0);
          done({ code, details: `${refused.code}: ${refused.message}` });
        },
      );
    };
    server.addService({ Export: method }, { Export: exportCall });
  }
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e, p) => {
      if (e === null) return resolve(p);
      // grpc-js reports the socket's error only in its message ("… [listen EADDRINUSE: address already in use …]").
      const errno = Object.assign(new Error(e.message), { code: /\b(E[A-Z]+):/.exec(e.message)?.[1] });
      reject(listenError(errno, host, port, '--otlp-grpc-port', 'turns the gRPC receiver off'));
    }),
  );
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Calls in flight finish (their events are in the log before they are answered); then connections are cut.
        const force = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
