import { formFile } from './form-body.js';

/**
 * How long an audio file plays, in milliseconds (rounded half up), read by `music-metadata` from the file's own
 * headers and frames: the formats the Audio API takes (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm), or null when
 * the file is none it knows, is cut short, or says nothing of its length. An MP3 without a header that states its
 * length is scanned frame by frame (`duration: true`): a variable bit rate would otherwise be guessed from the first.
 *
 * Only for an estimate: whisper-1's answers in `text`, `srt` and `vtt`, and its translations, carry no usage, and
 * what it bills (docs/pricing.md, "Audio billed by duration") is the length the provider measured, not this one.
 */
export async function audioDurationMs(file: Uint8Array, mimeType: string | null): Promise<number | null> {
  try {
    // Loaded on the first estimate, not at start-up: most gateways never make one, and its parsers weigh on a
    // server's memory for nothing.
    const { parseBuffer } = await import('music-metadata');
    const { format } = await parseBuffer(file, mimeType === null ? undefined : { mimeType }, {
      duration: true,
      skipCovers: true,
      skipPostHeaders: true,
    });
    const seconds = format.duration;
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
    return Math.round(seconds * 1000);
  } catch {
    // Not audio it can read: no length to estimate from.
    return null;
  }
}

/** The length of the audio file a multipart/form-data body carries (a transcription's), or null. */
export async function formAudioMs(raw: Buffer, contentType: string): Promise<number | null> {
  const file = await formFile(raw, contentType).catch(() => null);
  return file === null ? null : audioDurationMs(file.bytes, file.type);
}
