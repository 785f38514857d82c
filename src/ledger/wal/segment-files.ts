import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenledgerError } from '../../errors.js';
import type { UsageEvent } from '../event.js';
import { decodeSegment } from './codec.js';

const SEGMENT = /^seg-(\d{16})\.wal$/;

export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(16, '0')}.wal`;
}

/** Existing segments, oldest first. */
export async function listSegments(dir: string): Promise<{ seq: number; path: string }[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = await readdir(dir);
  return names
    .map((n) => SEGMENT.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seq: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.seq - b.seq);
}

export async function readSegment(path: string): Promise<{ events: UsageEvent[]; bad: number }> {
  try {
    return decodeSegment(await readFile(path));
  } catch (cause) {
    throw new TokenledgerError(
      'LEDGER_WAL_READ',
      `${path}: cannot read the write-ahead log segment (${(cause as Error).message}); check its permissions`,
      { cause },
    );
  }
}

/**
 * Creates a segment and makes its directory entry durable: without the directory fsync a machine crash could lose
 * the whole file even though every batch written into it was fsynced.
 */
export async function createSegment(dir: string, seq: number) {
  const path = join(dir, segmentName(seq));
  const handle = await open(path, 'a', 0o600);
  syncDir(dir);
  return { path, handle };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function removeSegment(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
