import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * A parse worker's nice value. An import's critical path is the main thread handing batches to DuckDB one statement
 * at a time; each statement waited for a core while the workers, with batches to spare, held both (a 2-core machine:
 * ~8 ms for a BEGIN). At a lower priority the workers take what the store leaves: 1M demo events, six alternating
 * pairs, 13.1-16.8 s against 15.2-20.0 s (−9% on average); 19 was no better than 10.
 */
export const WORKER_NICE = 10;

/**
 * Lowers the calling thread's scheduling priority to WORKER_NICE, where the system can tell one thread from the
 * rest: on Linux, a thread id given to setpriority(2) names that thread alone. Elsewhere (or without /proc) it does
 * nothing: the whole process would be lowered. A refusal is no error: the import only runs slower.
 */
export function lowerThisThreadsPriority(): void {
  const tid = threadId();
  if (tid === null) return;
  try {
    setPriority(tid, WORKER_NICE);
  } catch {}
}

/** The calling thread's kernel id (Linux), or null. */
export function threadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** The nice value of thread `tid` of this process (Linux), from /proc: field 19 of its stat line. */
export function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
