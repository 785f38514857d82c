import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { exportFailed } from '../errors.js';

/** The export's file, open: an unwritable path fails here (STORE_EXPORT_FAILED), before any events are read. */
export async function openExportFile(path: string): Promise<WriteStream> {
  const out = createWriteStream(path);
  await Promise.race([once(out, 'open'), once(out, 'error').then(([err]) => Promise.reject(err))]).catch(
    (err: unknown) => {
      throw exportFailed(path, err);
    },
  );
  return out;
}

/** Writes `text`, waiting while the file is behind, so memory stays one page whatever the export's size. */
export async function writeText(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Ends the file, once everything written is flushed. */
export async function closeExportFile(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'close');
}
