/**
 * What the frames of a Zstandard body will ask of a decoder, read from their headers and block headers alone
 * (RFC 8878, section 3.1), before any of it is decoded. fzstd, our decoder, allocates each frame's window as its
 * header declares it, up to 2 GB; read from a request, a header of a few bytes could make the server allocate that
 * much. Walking the blocks costs a few operations each and finds every frame, so each one is judged before decoding.
 */

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames' magic numbers are 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE = 0x184d2a50;

/** A frame the decoder would be asked for. */
export interface ZstdFrame {
  /** The window the decoder must hold: the content size for a single-segment frame. */
  window: number;
  /** The declared content size, or null when the frame does not say. */
  contentSize: number | null;
  dictionary: boolean;
}

/** Why a body is not Zstandard a decoder could be given, at which byte. */
export class ZstdFrameError extends Error {}

/** The body's Zstandard frames, skippable frames left out; throws ZstdFrameError where the body breaks the format. */
export function zstdFrames(body: Uint8Array): ZstdFrame[] {
  const frames: ZstdFrame[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const need = (n: number, what: string) => {
    if (at + n > body.length) throw new ZstdFrameError(`it ends inside ${what} at byte ${at}`);
  };
  while (at < body.length) {
    need(4, 'a frame magic number');
    const magic = view.getUint32(at, true);
    if ((magic & 0xfffffff0) === SKIPPABLE) {
      need(8, 'a skippable frame header');
      const size = view.getUint32(at + 4, true);
      at += 8;
      need(size, 'a skippable frame');
      at += size;
      continue;
    }
    if (magic !== ZSTD_MAGIC)
      throw new ZstdFrameError(
        `byte ${at} starts no Zstandard frame: its bytes ${hex(body.subarray(at, at + 4))}, where a frame starts 28 b5 2f fd`,
      );
    at += 4;
    need(1, 'a frame header');
    const descriptor = body[at++]!;
    if ((descriptor & 0x08) !== 0)
      throw new ZstdFrameError(`the frame header's reserved bit is set at byte ${at - 1}`);
    const singleSegment = (descriptor & 0x20) !== 0;
    const checksum = (descriptor & 0x04) !== 0;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!;
    const sizeFlag = descriptor >> 6;
    const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
    need((singleSegment ? 0 : 1) + dictionaryBytes + sizeBytes, 'a frame header');
    let window = 0;
    if (!singleSegment) {
      const w = body[at++]!;
      const base = 2 ** (10 + (w >> 3));
      window = base + (base / 8) * (w & 0x07);
    }
    let dictionary = false;
    for (let i = 0; i < dictionaryBytes; i++) if (body[at + i] !== 0) dictionary = true;
    at += dictionaryBytes;
    let contentSize: number | null = null;
    if (sizeBytes > 0) {
      contentSize = 0;
      for (let i = sizeBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + body[at + i]!;
      if (sizeBytes === 2) contentSize += 256;
      at += sizeBytes;
    }
    if (singleSegment) window = contentSize!;
    for (let last = false; !last; ) {
      need(3, 'a block header');
      const header = body[at]! | (body[at + 1]! << 8) | (body[at + 2]! << 16);
      at += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      if (type === 3) throw new ZstdFrameError(`a block of the reserved type at byte ${at - 3}`);
      const size = type === 1 ? 1 : header >>> 3;
      need(size, 'a block');
      at += size;
    }
    if (checksum) {
      need(4, 'a content checksum');
      at += 4;
    }
    frames.push({ window, contentSize, dictionary });
  }
  return frames;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
