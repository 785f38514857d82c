/**
 * Read worker entry (read-in-workers.ts): claims the next unread file from a counter the workers share, reads it
 * through its kind's parser exactly as importFiles would on its own thread, and posts what the file held. It claims
 * a file only while what it posted and the main thread has not yet taken stays under the byte budget, so a main
 * thread still opening the ledger holds a bounded read-ahead.
 */
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { ActivityRecord, ProviderCostRecord } from '../../sources/provider-records.js';
import type { Sink } from '../../sources/source.js';
import { IMPORT_KINDS } from '../kinds.js';
import { readFile } from '../read-file.js';
import { emptySummary, recordSkip } from '../summary.js';
import { budgetBytesOf, type ReadJob, type ReadMessage, type ReadReply } from './read-in-workers.js';
import { errorMessage } from './worker-errors.js';

const port = parentPort!;
const job = workerData as ReadJob;
const send = (m: ReadMessage) => port.postMessage(m);

/** Bytes of files posted and not yet taken by the main thread. */
let outstanding = 0;
let wake: (() => void) | null = null;
port.on('message', (m: ReadReply) => {
  outstanding -= m.taken;
  wake?.();
  wake = null;
});

async function run(): Promise<void> {
  // Set at once, and again once the parser has loaded: on Node 22 under tsx (the tests), loading it reset them too.
  const setFlags = () => {
    for (const f of job.v8Flags) setFlagsFromString(f);
  };
  setFlags();
  const source = await IMPORT_KINDS[job.kind]!.load();
  setFlags();
  for (;;) {
    // Wait before claiming, never after: a claimed file is one the main thread may be waiting for.
    while (outstanding > 0 && outstanding >= job.budgetBytes) await new Promise<void>((r) => (wake = r));
    const index = Atomics.add(job.next, 0, 1);
    if (index >= job.files.length) break;
    const { path, plan } = job.files[index]!;
    const events: UnpricedEvent[] = [];
    const costs: ProviderCostRecord[] = [];
    const activity: ActivityRecord[] = [];
    const summary = emptySummary();
    const sink: Sink = {
      event: (e) => events.push(e),
      skip: (s) => recordSkip(summary, s),
      cost: (r) => costs.push(r),
      activity: (r) => activity.push(r),
    };
    const result = await readFile(
      source,
      path,
      plan,
      job.read,
      job.ctx,
      sink,
      summary,
      () => undefined,
      () => undefined,
    );
    outstanding += budgetBytesOf(job.files[index]!);
    send({ type: 'file', index, read: { events, costs, activity, summary, result } });
  }
  send({ type: 'done' });
}

run().catch((e: unknown) => send(errorMessage(e)));
