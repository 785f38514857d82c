import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * The nice value of the server's other threads. Low enough that the thread answering requests is scheduled ahead of
 * them when they share a core; high enough that they still get a share when it is busy: at 10 a thread weighs about
 * a tenth of a normal one (Linux CFS), and the store drain needs ~15 µs a call of DuckDB's time against ~150 µs of
 * the serving thread's, so it keeps up at saturation (at 19, a seventieth, it would not).
 */
export const HELPER_NICE = 10;

/** The calling thread's id, from /proc/thread-self (→ "PID/task/TID"); null where there is none (not Linux). */
function currentTid(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) ? tid : null;
  } catch {
    return null;
  }
}

const serving = new Set<number>();
let timer: NodeJS.Timeout | null = null;

/** Every thread of the process but the serving ones to HELPER_NICE; threads already that low are left alone. */
function lowerHelpers(): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const t of tids) {
    const tid = Number(t);
    if (serving.has(tid)) continue;
    try {
      if (getPriority(tid) < HELPER_NICE) setPriority(tid, HELPER_NICE);
    } catch {
      // The thread has ended, or the system does not allow it: priorities are an optimisation.
    }
  }
}

/**
 * Schedules the calling thread, the one that answers requests, ahead of the process's other threads: libuv's pool
 * (where DuckDB runs the store's appends and the write-ahead log its fdatasync), DuckDB's workers, V8's helpers
 * (concurrent marking, compilation) and the OTLP worker. Their work can wait a few milliseconds; a gateway call that
 * waits for the scheduler to take the core back from one of them cannot. RocksDB lowers its compaction threads for
 * the same reason. Pinned to one core, the gateway's p99 fell from 7–13 ms to 5–7 at 500 calls/s and from 15–29 to
 * 8–13 at 1000, for CPU per call within noise at saturation and ~10% more at 1000/s (more preemptions;
 * bench/HISTORY.md, Gateway, Seventeenth session); lowering libuv's pool alone did not help. Linux only (nice is
 * per thread there); elsewhere a no-op. Threads started later are lowered within `everyMs`. Returns what stops that
 * once every server that asked has closed; a lowered thread stays lowered (raising it back would need privileges).
 */
export function favourServingThread(everyMs = 5_000): () => void {
  const tid = currentTid();
  if (tid === null) return () => {};
  serving.add(tid);
  lowerHelpers();
  if (timer === null) {
    timer = setInterval(lowerHelpers, everyMs);
    timer.unref();
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    serving.delete(tid);
    if (serving.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}
