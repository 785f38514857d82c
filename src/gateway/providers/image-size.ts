import { imageSize } from 'image-size';

/** An image's size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * The size of a base64 image (PNG, JPEG, GIF or WebP: the formats Anthropic takes), read from its header by
 * `image-size`, or null when it is not an image it knows or its header is cut short. The start is decoded first: a
 * PNG, GIF or WebP says its size in its first bytes; a JPEG in its frame header, after metadata segments (Exif, ICC
 * profiles) that may be large, so an image whose start does not reach it is decoded whole.
 */
export function base64ImageSize(data: string): ImageSize | null {
  const size = sizeOf(Buffer.from(data.slice(0, HEAD_CHARS), 'base64'));
  if (size !== null || data.length <= HEAD_CHARS) return size;
  return sizeOf(Buffer.from(data, 'base64'));
}

/** 64 KiB of base64 (a multiple of 4 characters: whole 3-byte groups), 48 KiB of image. */
const HEAD_CHARS = 64 * 1024;

function sizeOf(b: Buffer): ImageSize | null {
  try {
    // A copy of its own: a small Buffer is a view into Node's shared pool, and image-size reads a header cut short
    // past the view's end into whatever the pool holds there (a PNG cut at 20 bytes read as 30 x 1,546,279,983 on
    // Node 22 and 24) instead of failing.
    const { width, height } = imageSize(new Uint8Array(b));
    return width > 0 && height > 0 ? { width, height } : null;
  } catch {
    // Not an image type it knows, or cut short before the size.
    return null;
  }
}
