import { setFlagsFromString } from 'node:v8';

/** V8 flags this process set while running, in the order set. */
const kept: string[] = [];

/**
 * Sets a V8 flag for the rest of the process. Before Node 24, a worker thread starting up resets the flags a process
 * set while running (Node 20 and 22: a young generation kept small grew to 32 MB once a worker had started), so
 * spawnWorker sets the kept ones again as each worker comes online.
 */
export function keepV8Flag(flag: string): void {
  if (!kept.includes(flag)) kept.push(flag);
  setFlagsFromString(flag);
}

/** The kept flags, for a worker thread to set again as it starts (read-worker.ts sets them before its first read). */
export function keptV8Flags(): readonly string[] {
  return kept;
}

/** Sets the kept flags again: after a worker thread started (worker-thread.ts). */
export function restoreKeptV8Flags(): void {
  for (const f of kept) setFlagsFromString(f);
}
