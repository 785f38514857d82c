import { pipeline, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { forwardReadable } from './upstream-body.js';
import type { UpstreamBody, UpstreamResponse } from './upstream-client.js';

const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The response with its body decoded when the upstream compressed it. We ask for `accept-encoding: identity`
 * (usage must be read), but a server or a CDN in front of it may compress anyway: metering then read gzip as text
 * (no usage recorded), and a stream whose events the meter rewrites (injected usage) reached the client as broken
 * gzip. Such a body is decoded here and sent to the client as identity, without content-encoding and
 * content-length. One header lookup for the common, uncompressed response; an encoding Node cannot decode is
 * passed as it came.
 */
export function decodedResponse(r: UpstreamResponse): UpstreamResponse {
  const encoding = r.headers['content-encoding'];
  if (encoding === undefined) return r;
  const decoder = DECODERS[String(encoding).trim().toLowerCase()]?.();
  if (decoder === undefined) return r;
  // Errors (a broken upstream, an aborted call, corrupt data) reach the decoder, where the responders listen.
  pipeline(r.body.stream(), decoder, () => {});
  const body: UpstreamBody = {
    async bytes(): Promise<Buffer> {
      const parts: Buffer[] = [];
      for await (const part of decoder) parts.push(part as Buffer);
      return Buffer.concat(parts);
    },
    stream: () => decoder,
    forward: (sink) => forwardReadable(decoder, sink),
    async dump(): Promise<void> {
      decoder.destroy();
    },
  };
  const { 'content-encoding': _, 'content-length': __, ...headers } = r.headers;
  return { status: r.status, headers, body };
}
