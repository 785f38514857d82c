import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { base64ImageSize } from './image-size.js';

// Real images of 30 × 20 pixels (ImageMagick and cwebp), in every format Anthropic takes.
const fixture = (name: string) => readFileSync(`test/fixtures/images/${name}`);

describe('base64ImageSize', () => {
  it.each([
    'png-30x20.png',
    'baseline-30x20.jpg',
    'progressive-30x20.jpg',
    'gif-30x20.gif',
    'lossy-30x20.webp',
    'lossless-30x20.webp',
    'extended-30x20.webp',
  ])('reads the width and height of %s from its header', (name) => {
    expect(base64ImageSize(fixture(name).toString('base64'))).toEqual({ width: 30, height: 20 });
  });

  it('reads a JPEG whose frame header comes after more metadata than the start it decodes first', () => {
    const jpeg = fixture('baseline-30x20.jpg');
    // Two 60 kB comment segments (COM) right after SOI, as a large Exif block or ICC profile would sit.
    const comment = Buffer.alloc(4 + 60_000, 0x61);
    comment.set([0xff, 0xfe], 0);
    comment.writeUInt16BE(60_002, 2);
    const padded = Buffer.concat([jpeg.subarray(0, 2), comment, comment, jpeg.subarray(2)]);
    expect(base64ImageSize(padded.toString('base64'))).toEqual({ width: 30, height: 20 });
  });

  it('says null for what is not an image it knows, or is cut short', () => {
    expect(base64ImageSize(Buffer.from('hello, world').toString('base64'))).toBeNull();
    expect(base64ImageSize(fixture('png-30x20.png').subarray(0, 20).toString('base64'))).toBeNull();
    expect(base64ImageSize(fixture('baseline-30x20.jpg').subarray(0, 100).toString('base64'))).toBeNull();
    expect(base64ImageSize('')).toBeNull();
  });
});
