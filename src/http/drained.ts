import type { Writable } from 'node:stream';

/**
 * Resolves once `out` can take more after a write that filled it, or once it closes: a client that leaves while its
 * socket is full never drains it, and a loop waiting for 'drain' alone would hang there, holding what it read.
 * Check `out.destroyed` after it to know which.
 */
export function drainedOrClosed(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done).off('close', done);
      resolve();
    };
    out.on('drain', done).on('close', done);
  });
}
