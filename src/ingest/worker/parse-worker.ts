/**
 * Worker thread entry: reads canonical files, parses, validates and prices every line of its stripes (stripes.ts),
 * and posts the priced events in batches encoded for the store (store/duckdb/prepare-batch.ts). The main thread only
 * hands them to DuckDB, so parsing one batch overlaps storing the previous one on a second core. Behaviour matches
 * importFiles in `always` mode line for line: same skips, same counts, same order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { UsageEvent } from '../../ledger/event.js';
import { loadPricer } from '../../pricing/load.js';
import { csvSource } from '../../sources/csv/parse.js';
import { jsonlSource } from '../../sources/jsonl/parse.js';
import { linesOf, lineText, MAX_LINE_BYTES, readChunksSync, tooLongSkip } from '../../sources/read-lines.js';
import type { LineSource, Sink } from '../../sources/source.js';
import { DetachedPreparer, preparedTransfer } from '../../store/duckdb/prepare-batch.js';
import { emptySummary, recordSkip } from '../summary.js';
import { ACK, type SkipAt, type WorkerJob, type WorkerMessage, type WorkerSourceId } from './messages.js';
import { lowerThisThreadsPriority } from './priority.js';
import { stripeCount, stripeOf } from './stripes.js';
import { errorMessage } from './worker-errors.js';

const SOURCES: Record<Exclude<WorkerSourceId, 'demo'>, LineSource> = { jsonl: jsonlSource, csv: csvSource };

const port = parentPort!;
const job = workerData as WorkerJob;
let credits = job.inFlight;
let wake: (() => void) | null = null;
port.on('message', (m) => {
  if (m !== ACK) return;
  credits++;
  wake?.();
  wake = null;
});

const send = (m: WorkerMessage) => port.postMessage(m);

async function run(): Promise<void> {
  lowerThisThreadsPriority();
  const pricer = await loadPricer(job.pricer);
  const summary = emptySummary();
  // Every event comes from pricer.price: its rate cards are checked (CardsChecked).
  const preparer = new DetachedPreparer(true);
  let batch: UsageEvent[] = [];
  /** The line being parsed, and where each of summary.firstSkips was (for the main thread to merge workers'). */
  const at: SkipAt = { file: 0, line: 0 };
  const skipsAt: SkipAt[] = [];
  const sink: Sink = {
    event(e) {
      batch.push(pricer.price(e));
      summary.events++;
    },
    skip(s) {
      const shown = summary.firstSkips.length;
      recordSkip(summary, s);
      if (summary.firstSkips.length > shown) skipsAt.push({ ...at });
    },
  };
  const post = async (file: number, stripe: number, last: boolean, end: number) => {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    // Prepared here, not on arrival: encoding is a second pass over every event (~4 µs each), and the main thread
    // also runs DuckDB's calls. STORE_BAD_EVENT from it fails the import as it would in the main thread.
    const prepared = preparer.prepare(batch);
    batch = [];
    port.postMessage(
      { type: 'batch', file, stripe, last, end, prepared } satisfies WorkerMessage,
      preparedTransfer(prepared),
    );
  };
  if (job.demo) {
    // One pseudo-file of one stripe; its progress counts events.
    const { generateDemo } = await import('../../sources/demo/index.js');
    for (const e of generateDemo(job.demo)) {
      sink.event(e);
      if (batch.length >= job.batchSize) await post(0, 0, false, summary.events);
    }
    await post(0, 0, true, summary.events);
    send({ type: 'file-end', file: 0, stripes: 1 });
    send({ type: 'done', summary, skipsAt });
    return;
  }
  const source = SOURCES[job.sourceId as Exclude<WorkerSourceId, 'demo'>];
  const { striping, me } = job;
  for (const [file, path] of job.paths.entries()) {
    const parser = source.open({ path, ingestedAt: job.ingestedAt, defaults: job.defaults }, sink);
    at.file = file;
    let end = 0;
    let chunks = 0;
    // The stripe of ours being parsed, or -1 while the chunks are another worker's. Stripe 0 is worker 0's even
    // when the file is empty, so every file has a stripe with a last batch.
    let open = me === 0 ? 0 : -1;
    for (const chunk of readChunksSync(path)) {
      const stripe = stripeOf(chunks++, striping);
      if (stripe !== open) {
        if (open >= 0) await post(file, open, true, end);
        open = stripe % striping.workers === me ? stripe : -1;
      }
      if (open < 0) continue;
      summary.bytes += chunk.bytes.length;
      if (chunk.valid && parser.bytes) {
        // Lines straight from the chunk's bytes; one the parser hands back is given as text, as readLines would.
        const { bytes, base } = chunk;
        let lineNo = chunk.firstLine;
        for (let start = 0; start < bytes.length; lineNo++) {
          let nl = bytes.indexOf(10, start);
          if (nl < 0) nl = bytes.length;
          summary.lines++;
          at.line = lineNo;
          end = base + Math.min(nl + 1, bytes.length);
          if (nl - start > MAX_LINE_BYTES) sink.skip(tooLongSkip(path, lineNo));
          else if (!parser.bytes(bytes, start, nl, lineNo))
            parser.line(lineText(bytes, start, nl, base + start === 0), lineNo);
          start = nl + 1;
          if (batch.length >= job.batchSize) await post(file, open, false, end);
        }
        continue;
      }
      for (const line of linesOf(chunk)) {
        summary.lines++;
        at.line = line.lineNo;
        end = line.end;
        if (line.tooLong) sink.skip(tooLongSkip(path, line.lineNo));
        else if (line.badUtf8 && !job.judge)
          sink.skip({
            ref: `${path}:${line.lineNo}`,
            code: 'SRC_NOT_UTF8',
            reason: 'line is not valid UTF-8',
          });
        else parser.line(line.text, line.lineNo);
        if (batch.length >= job.batchSize) await post(file, open, false, end);
      }
    }
    parser.end();
    if (open >= 0) await post(file, open, true, end);
    send({ type: 'file-end', file, stripes: stripeCount(chunks, striping) });
  }
  send({ type: 'done', summary, skipsAt });
}

run().catch((e: unknown) => send(errorMessage(e)));
