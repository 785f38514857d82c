import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from 'fzstd';
import { describe, expect, it } from 'vitest';
import { zstdFrame } from '../../test/helpers/zstd-frame.js';
import { ZstdFrameError, zstdFrames } from './zstd-frames.js';

const CODEX = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/gateway/codex-responses-request.json.zst'),
);
const hello = new TextEncoder().encode('hello');

describe('zstdFrames', () => {
  it('reads a frame as the Codex CLI writes it: a 2 MiB window, no content size, no dictionary', () => {
    expect(zstdFrames(CODEX)).toEqual([{ window: 2 << 20, contentSize: null, dictionary: false }]);
  });

  it('reads the window from its descriptor (exponent and mantissa), or from the content size of a single segment', () => {
    // Exponent 14, mantissa 3: 2^24 + 3 × 2^21.
    const wide = zstdFrame({ windowByte: (14 << 3) | 3, blocks: [{ raw: hello }] });
    const single = zstdFrame({ contentSize: 5, checksum: true, blocks: [{ raw: hello }] });
    expect(zstdFrames(Buffer.concat([wide, single]))).toEqual([
      { window: (1 << 24) + 3 * (1 << 21), contentSize: null, dictionary: false },
      { window: 5, contentSize: 5, dictionary: false },
    ]);
    // The frames built here are ones a real decoder takes.
    expect(new TextDecoder().decode(decompress(Buffer.concat([wide, single])))).toBe('hellohello');
  });

  it('passes over skippable frames and sees a dictionary id', () => {
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const withDictionary = zstdFrame({ windowByte: 0, dictionaryId: 7, blocks: [{ raw: hello }] });
    expect(zstdFrames(Buffer.concat([skippable, withDictionary]))).toEqual([
      { window: 1024, contentSize: null, dictionary: true },
    ]);
  });

  it('counts an RLE block as one byte of input, however many it stands for', () => {
    const bomb = zstdFrame({
      windowByte: 7 << 3,
      blocks: Array.from({ length: 3 }, () => ({ rle: 0, size: 128 << 10 })),
    });
    expect(bomb.length).toBe(4 + 1 + 1 + 3 * 4);
    expect(zstdFrames(bomb)).toEqual([{ window: 128 << 10, contentSize: null, dictionary: false }]);
  });

  it('says where a body breaks the format', () => {
    const frame = zstdFrame({ windowByte: 0, blocks: [{ raw: hello }] });
    const cases: [Buffer, string][] = [
      [
        Buffer.from('{"model":"gpt-5"}'),
        'byte 0 starts no Zstandard frame: its bytes 7b 22 6d 6f, where a frame starts 28 b5 2f fd',
      ],
      [Buffer.concat([frame, Buffer.from('xyzw')]), `byte ${frame.length} starts no Zstandard frame`],
      [frame.subarray(0, frame.length - 2), 'it ends inside a block at byte 9'],
      [frame.subarray(0, 7), 'it ends inside a block header at byte 6'],
      [zstdFrame({ windowByte: 0, extraDescriptorBits: 0x08, blocks: [] }), 'reserved bit is set at byte 4'],
    ];
    for (const [body, message] of cases) {
      expect(() => zstdFrames(body)).toThrow(ZstdFrameError);
      expect(() => zstdFrames(body)).toThrow(message);
    }
    const reserved = Buffer.from(frame);
    reserved[6] = (reserved[6]! & ~0x06) | (3 << 1);
    expect(() => zstdFrames(reserved)).toThrow('a block of the reserved type at byte 6');
  });
});
