import { promisify } from 'node:util';
import {
  brotliDecompress,
  brotliDecompressSync,
  gunzip,
  gunzipSync,
  inflate,
  inflateRaw,
  inflateRawSync,
  inflateSync,
} from 'node:zlib';
import { Decompress } from 'fzstd';
import { nextTurn } from '../next-turn.js';
import { zstdFrames } from './zstd-frames.js';

/**
 * Undoing one content coding of a body a client sent (RFC 9110 §8.4.1): gzip, deflate, br and zstd, never to more
 * than a limit, since a few kB of any of them can stand for gigabytes. The errors say what is wrong in words a
 * client can act on; callers give them their own codes.
 */

export type Coding = 'gzip' | 'deflate' | 'br' | 'zstd';

/**
 * The coding a content-encoding token names (case-insensitive), or null for one not decoded. `x-gzip` is gzip; `zlib`
 * is deflate (HTTP's deflate is the zlib format), the name the OpenTelemetry Collector's `compression: zlib` sends.
 */
export function codingNamed(token: string): Coding | null {
  const t = token.trim().toLowerCase();
  if (t === 'gzip' || t === 'x-gzip') return 'gzip';
  if (t === 'zlib') return 'deflate';
  return t === 'deflate' || t === 'br' || t === 'zstd' ? t : null;
}

/** The body decodes to more than the limit. */
export class DecodedTooLarge extends Error {}

/**
 * The decoded body, for a serving thread: the zlib codings on libuv's thread pool, zstd (in JavaScript) a slice at a
 * time between turns of the event loop.
 */
export async function decode(coding: Coding, body: Buffer, limit: number): Promise<Buffer> {
  if (coding === 'zstd') return unzstdInTurns(body, limit);
  const f =
    coding === 'gzip'
      ? gunzipAsync
      : coding === 'br'
        ? brotliAsync
        : zlibFormat(body)
          ? inflateAsync
          : inflateRawAsync;
  try {
    return await f(body, { maxOutputLength: limit });
  } catch (e) {
    throw tooLargeOr(e);
  }
}

const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliDecompress);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** The decoded body, on this thread (a worker's). */
export function decodeSync(coding: Coding, body: Buffer, limit: number): Buffer {
  if (coding === 'zstd') {
    const z = zstdDecoder(body, limit);
    z.push(body, true);
    return z.result();
  }
  const f =
    coding === 'gzip'
      ? gunzipSync
      : coding === 'br'
        ? brotliDecompressSync
        : zlibFormat(body)
          ? inflateSync
          : inflateRawSync;
  try {
    return f(body, { maxOutputLength: limit });
  } catch (e) {
    throw tooLargeOr(e);
  }
}

function tooLargeOr(e: unknown): unknown {
  return (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? new DecodedTooLarge() : e;
}

/**
 * HTTP's deflate is the zlib format (RFC 9110 §8.4.1.2), but some clients send raw deflate: told apart by the zlib
 * header (compression method 8, and a check that makes the first two bytes a multiple of 31).
 */
function zlibFormat(body: Buffer): boolean {
  return body.length >= 2 && (body[0]! & 0x0f) === 8 && body.readUInt16BE(0) % 31 === 0;
}

/**
 * The largest zstd window decoded. RFC 8878 §3.1.1.1.2 asks decoders to support 8 MiB and lets them refuse more;
 * encoders go past it only at their --ultra levels (the Codex CLI's level 3 uses 2 MiB).
 */
const ZSTD_WINDOW_MAX = 8 << 20;

/**
 * Compressed bytes of zstd decoded at a time on a serving thread, between turns of its event loop: ~0.5–1 ms of fzstd
 * (170–210 MB/s here, at Codex's ratio of ~10), where a 3.5 MB Codex request decoded whole would hold every other call
 * for ~20 ms.
 */
const ZSTD_SLICE = 16 << 10;

/** zstd decoded in slices, the event loop turning between them (decode, for a serving thread). */
async function unzstdInTurns(body: Buffer, limit: number): Promise<Buffer> {
  const z = zstdDecoder(body, limit);
  for (let at = 0; ; at += ZSTD_SLICE) {
    const end = Math.min(at + ZSTD_SLICE, body.length);
    z.push(body.subarray(at, end), end === body.length);
    if (end === body.length) return z.result();
    await nextTurn();
  }
}

/**
 * A decoder for a zstd body, every frame's header judged first (zstd-frames.ts: fzstd allocates the window a header
 * declares, up to 2 GB), counting the output as it comes: fzstd's one-call `decompress` would build it all before its
 * size could be seen.
 */
function zstdDecoder(
  body: Buffer,
  limit: number,
): { push(slice: Buffer, last: boolean): void; result(): Buffer } {
  for (const f of zstdFrames(body)) {
    if (f.contentSize !== null && f.contentSize > limit) throw new DecodedTooLarge();
    if (f.dictionary) throw new Error('a frame needs a dictionary, and none is known here');
    if (f.window > ZSTD_WINDOW_MAX && f.window !== f.contentSize)
      throw new Error(`a frame needs a window of ${f.window} bytes; windows up to 8 MiB are decoded`);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  const d = new Decompress((chunk) => {
    size += chunk.length;
    if (size > limit) throw new DecodedTooLarge();
    parts.push(chunk);
  });
  return { push: (slice, last) => d.push(slice, last), result: () => Buffer.concat(parts, size) };
}
