/** An image's size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * The size of a base64 image (PNG, JPEG, GIF or WebP: the formats Anthropic takes), read from its header, or null
 * when it is none of them or its header is cut short. Only the start is decoded: a PNG, GIF or WebP says its size
 * in its first 30 bytes; a JPEG in its frame header (SOFn), after metadata segments (Exif, ICC profiles) that may be
 * large, so a JPEG whose start does not reach it is decoded whole.
 */
export function base64ImageSize(data: string): ImageSize | null {
  const head = Buffer.from(data.slice(0, HEAD_CHARS), 'base64');
  const size = imageSize(head);
  if (size !== null || data.length <= HEAD_CHARS || !isJpeg(head)) return size;
  return imageSize(Buffer.from(data, 'base64'));
}

/** 64 KiB of base64 (a multiple of 4 characters: whole 3-byte groups), 48 KiB of image. */
const HEAD_CHARS = 64 * 1024;

/** The size an image's header states, or null (see base64ImageSize). */
export function imageSize(b: Buffer): ImageSize | null {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR')
    return sized(b.readUInt32BE(16), b.readUInt32BE(20));
  if (b.length >= 10 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a'))
    return sized(b.readUInt16LE(6), b.readUInt16LE(8));
  if (b.length >= 16 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    return webpSize(b);
  if (isJpeg(b)) return jpegSize(b);
  return null;
}

function isJpeg(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** https://developers.google.com/speed/webp/docs/riff_container: lossy (VP8), lossless (VP8L), extended (VP8X). */
function webpSize(b: Buffer): ImageSize | null {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return sized(1 + b.readUIntLE(24, 3), 1 + b.readUIntLE(27, 3));
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = b.readUInt32LE(21);
    return sized(1 + (bits & 0x3fff), 1 + ((bits >>> 14) & 0x3fff));
  }
  // A key frame: 3 bytes of frame tag, the start code 9d 01 2a, then 14-bit width and height.
  if (chunk === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a)
    return sized(b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
  return null;
}

/**
 * A JPEG's size, from its first frame header (SOF0…SOF15 but DHT, JPG and DAC, which share the range): segments are
 * walked by their lengths from the start of the image.
 */
function jpegSize(b: Buffer): ImageSize | null {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    // Fill bytes before a marker.
    if (marker === 0xff) {
      i++;
      continue;
    }
    // Markers without a length: TEM and RST0…RST7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return i + 9 <= b.length ? sized(b.readUInt16BE(i + 7), b.readUInt16BE(i + 5)) : null;
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}

function sized(width: number, height: number): ImageSize | null {
  return width > 0 && height > 0 ? { width, height } : null;
}
