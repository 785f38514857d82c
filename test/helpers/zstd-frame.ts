/**
 * Zstandard frames built byte by byte (RFC 8878 §3.1.1), for what an encoder will not write: a frame that asks for a
 * huge window, RLE blocks that stand for gigabytes, a reserved bit set. Each block is raw or RLE, which a decoder
 * takes as they are.
 */

export type Block = { raw: Uint8Array } | { rle: number; size: number };

export interface FrameSpec {
  /** The window descriptor's byte (exponent << 3 | mantissa); absent: a single-segment frame. */
  windowByte?: number;
  /** Declared content size, written in 4 bytes; a single-segment frame must declare it. */
  contentSize?: number;
  dictionaryId?: number;
  checksum?: boolean;
  /** Extra bits for the frame header descriptor (e.g. 0x08, the reserved bit). */
  extraDescriptorBits?: number;
  blocks: Block[];
}

export function zstdFrame(s: FrameSpec): Buffer {
  const single = s.windowByte === undefined;
  if (single && s.contentSize === undefined)
    throw new Error('a single-segment frame declares its content size');
  const out: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  const fcsFlag = s.contentSize === undefined ? 0 : 2;
  let descriptor =
    (fcsFlag << 6) | (single ? 0x20 : 0) | (s.checksum ? 0x04 : 0) | (s.extraDescriptorBits ?? 0);
  if (s.dictionaryId !== undefined) descriptor |= 3;
  out.push(descriptor);
  if (!single) out.push(s.windowByte!);
  if (s.dictionaryId !== undefined) out.push(...le(s.dictionaryId, 4));
  if (s.contentSize !== undefined) out.push(...le(s.contentSize, 4));
  s.blocks.forEach((b, i) => {
    const last = i === s.blocks.length - 1 ? 1 : 0;
    if ('raw' in b) out.push(...le((b.raw.length << 3) | last, 3), ...b.raw);
    else out.push(...le((b.size << 3) | (1 << 1) | last, 3), b.rle);
  });
  if (s.checksum) out.push(0, 0, 0, 0);
  return Buffer.from(out);
}

function le(n: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Math.floor(n / 256 ** i) % 256);
}
