import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { Decompress } from 'fzstd';
import { ZstdFrameError, zstdFrames } from '../http/zstd-frames.js';
import { GatewayError } from './errors.js';

/**
 * Request bodies a client compressed. The gateway reads the model and options from every body it meters, so it
 * decodes them; the upstream then gets the body uncompressed (without content-encoding), which every upstream takes.
 * Codex compresses its Responses requests with zstd (level 3) when it talks to OpenAI's Codex backend, and so do
 * other coding agents that speak its protocol; gzip, deflate and br are the other codings HTTP names.
 */

type Decoder = (body: Buffer, limit: number) => Promise<Buffer>;

const zlibDecoder =
  (f: (b: Buffer, o: ZlibOptions, cb: (e: Error | null, r: Buffer) => void) => void): Decoder =>
  (body, limit) =>
    promisify(f)(body, { maxOutputLength: limit });

const DECODERS: Record<string, Decoder> = {
  gzip: zlibDecoder(gunzip),
  'x-gzip': zlibDecoder(gunzip),
  // HTTP's deflate is the zlib format (RFC 9110 §8.4.1.2), but some clients send raw deflate: told apart by the
  // zlib header (compression method 8, and a check sum that makes the first two bytes a multiple of 31).
  deflate: (body, limit) =>
    zlibDecoder(
      body.length >= 2 && (body[0]! & 0x0f) === 8 && body.readUInt16BE(0) % 31 === 0 ? inflate : inflateRaw,
    )(body, limit),
  br: zlibDecoder(brotliDecompress),
  zstd: async (body, limit) => unzstd(body, limit),
};

/**
 * The largest zstd window decoded. RFC 8878 §3.1.1.1.2 asks decoders to support 8 MiB and lets them refuse more;
 * encoders go past it only at their --ultra levels (Codex's level 3 uses 2 MiB).
 */
const ZSTD_WINDOW_MAX = 8 << 20;

/**
 * `body` with the codings its content-encoding `header` lists undone, last first (RFC 9110 §8.4): a 415 for a
 * coding not decoded here, a 400 for a body that is not what its coding says, a 413 when it decodes to more than
 * `limit` bytes (a few kB of zstd can stand for gigabytes).
 */
export async function decodedRequestBody(
  body: Buffer,
  header: string | undefined,
  limit: number,
): Promise<Buffer> {
  if (header === undefined) return body;
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  for (const c of codings)
    if (!Object.hasOwn(DECODERS, c))
      throw new GatewayError(
        'GW_UNSUPPORTED_ENCODING',
        `request body sent with content-encoding ${JSON.stringify(header)}: the gateway decodes gzip, deflate, br and zstd; send one of those, or the body uncompressed`,
      );
  let out = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!;
    try {
      out = await DECODERS[coding]!(out, limit);
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof TooLarge)
        throw new GatewayError(
          'GW_BODY_TOO_LARGE',
          `request body is larger than ${limit} bytes once decoded (content-encoding ${JSON.stringify(header)}); send less or raise server.body_limit_mb in tokenledger.config.yaml`,
        );
      throw new GatewayError(
        'GW_BAD_ENCODING',
        `request body is not valid ${coding} (content-encoding ${JSON.stringify(header)}): ${(e as Error).message}`,
      );
    }
  }
  return out;
}

class TooLarge extends Error {}

/**
 * Decodes zstd, every frame's header judged first (zstd-frames.ts), counting the output as it comes: fzstd's
 * one-call `decompress` would build the whole output before its size could be seen.
 */
function unzstd(body: Buffer, limit: number): Buffer {
  let frames: ReturnType<typeof zstdFrames>;
  try {
    frames = zstdFrames(body);
  } catch (e) {
    if (e instanceof ZstdFrameError) throw new Error(e.message);
    throw e;
  }
  for (const f of frames) {
    if (f.contentSize !== null && f.contentSize > limit) throw new TooLarge();
    if (f.dictionary) throw new Error('a frame needs a dictionary, and the gateway has none');
    if (f.window > ZSTD_WINDOW_MAX && f.window !== f.contentSize)
      throw new Error(`a frame needs a window of ${f.window} bytes; the gateway decodes windows up to 8 MiB`);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  const d = new Decompress((chunk) => {
    size += chunk.length;
    if (size > limit) throw new TooLarge();
    parts.push(chunk);
  });
  d.push(body, true);
  return Buffer.concat(parts, size);
}
