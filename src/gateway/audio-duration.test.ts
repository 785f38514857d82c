import { describe, expect, it } from 'vitest';
import { mp3Ms, silentMp3, silentWav } from '../../test/helpers/audio.js';
import { audioDurationMs, formAudioMs } from './audio-duration.js';

describe('audioDurationMs', () => {
  it("reads a WAV's length from its header and an MP3's by counting its frames", async () => {
    expect(await audioDurationMs(silentWav(3.25), 'audio/wav')).toBe(3250);
    // 383 frames × 1,152 samples at 44.1 kHz = 10,004.9 ms.
    expect(mp3Ms(383)).toBeCloseTo(10_004.9, 1);
    expect(await audioDurationMs(silentMp3(383), 'audio/mpeg')).toBe(10_005);
    // The file, not the type its part declares, says what it is.
    expect(await audioDurationMs(silentMp3(383), null)).toBe(10_005);
    expect(await audioDurationMs(silentWav(1), 'application/octet-stream')).toBe(1000);
  });

  it('is null for a file it cannot read: not audio, or cut before its header ends', async () => {
    expect(await audioDurationMs(Buffer.from('not audio at all, just words'), 'audio/wav')).toBeNull();
    expect(await audioDurationMs(silentWav(2).subarray(0, 20), 'audio/wav')).toBeNull();
    expect(await audioDurationMs(new Uint8Array(0), null)).toBeNull();
  });
});

describe('formAudioMs', () => {
  it('reads the length of the file a multipart/form-data body carries, and null when it carries none', async () => {
    const encoded = async (form: FormData) => {
      const r = new Response(form);
      return { raw: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type')! };
    };
    const withFile = new FormData();
    withFile.append('model', 'whisper-1');
    withFile.append('file', new Blob([silentWav(0.5)], { type: 'audio/wav' }), 'a.wav');
    const a = await encoded(withFile);
    expect(await formAudioMs(a.raw, a.type)).toBe(500);
    const fieldsOnly = new FormData();
    fieldsOnly.append('model', 'whisper-1');
    const b = await encoded(fieldsOnly);
    expect(await formAudioMs(b.raw, b.type)).toBeNull();
    expect(await formAudioMs(Buffer.from('--x\r\nnot a part'), 'multipart/form-data; boundary=x')).toBeNull();
  });
});
