/**
 * Real audio files, silent, made here: what a client uploads to the Audio API, of a length known to the millisecond.
 */

/** A PCM WAV (16-bit mono) of `seconds` at `rate` samples a second: its header says its length exactly. */
export function silentWav(seconds: number, rate = 16_000): Buffer {
  const bytes = Math.round(seconds * rate) * 2;
  const b = Buffer.alloc(44 + bytes);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + bytes, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16); // the fmt chunk's size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); // bytes a second
  b.writeUInt16LE(2, 32); // bytes a sample
  b.writeUInt16LE(16, 34); // bits a sample
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(bytes, 40);
  return b;
}

/**
 * An MP3 of `frames` silent frames (MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no CRC), with no header that
 * states its length: a reader must count its frames. Each frame is 1,152 samples (26.12 ms) and 417 bytes
 * (144 × 128,000 / 44,100, no padding); zero side information and main data decode to silence.
 */
export function silentMp3(frames: number): Buffer {
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0xc4]);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

/** How long `silentMp3(frames)` plays, in milliseconds (unrounded). */
export const mp3Ms = (frames: number): number => (frames * 1152 * 1000) / 44_100;
