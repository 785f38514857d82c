import { stat } from 'node:fs/promises';
import type { UnpricedEvent, UsageEvent } from '../ledger/event.js';
import { totalTokens } from '../ledger/event.js';
import { readLines } from '../sources/read-lines.js';
import type { LineSource, ParseContext, Skip } from '../sources/source.js';
import type { Store } from '../store/store.js';

export interface ImportSummary {
  files: number;
  lines: number;
  /** Events the input described. */
  events: number;
  imported: number;
  duplicates: number;
  skipped: number;
  skippedByCode: Record<string, number>;
  /** The first few skips, with file:line and reason, for the user to look at. */
  firstSkips: Skip[];
  unpriced: { events: number; tokens: number };
}

export interface ImportDeps {
  store: Store;
  price: (e: UnpricedEvent) => UsageEvent;
  ingestedAt: number;
  defaults?: ParseContext['defaults'];
  /** Called as work is done: (done, total) in bytes for files, events for generated input. */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
}

const FIRST_SKIPS = 10;

export function emptySummary(): ImportSummary {
  return {
    files: 0,
    lines: 0,
    events: 0,
    imported: 0,
    duplicates: 0,
    skipped: 0,
    skippedByCode: {},
    firstSkips: [],
    unpriced: { events: 0, tokens: 0 },
  };
}

/**
 * Prices events and appends them to the store in batches, counting as it goes. One append may be in flight while
 * the next batch is parsed — DuckDB inserts on its own threads, so parsing and storing overlap — and a full batch
 * waits for it: memory holds at most two batches. Callers `add` synchronously (parsers emit from sync code) and await
 * `maybeFlush` between inputs; `flush` waits for everything.
 */
export function createBatcher(deps: ImportDeps, summary: ImportSummary) {
  const batchSize = deps.batchSize ?? 50_000;
  let batch: UsageEvent[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const start = async () => {
    await inFlight;
    const full = batch;
    batch = [];
    inFlight = deps.store.append(full).then((r) => {
      summary.imported += r.inserted;
      summary.duplicates += r.duplicates;
    });
  };
  return {
    add(e: UnpricedEvent) {
      const priced = deps.price(e);
      summary.events++;
      if (priced.cost_source === 'unpriced') {
        summary.unpriced.events++;
        summary.unpriced.tokens += totalTokens(priced);
      }
      batch.push(priced);
    },
    maybeFlush: () => (batch.length >= batchSize ? start() : undefined),
    async flush() {
      if (batch.length > 0) await start();
      await inFlight;
    },
  };
}

/**
 * Streams files through a source's parser into the ledger. A bad line is counted and skipped; it never stops the
 * import.
 */
export async function importFiles(
  source: LineSource,
  paths: readonly string[],
  deps: ImportDeps,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const batcher = createBatcher(deps, summary);
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  const sink = { event: batcher.add, skip: (s: Skip) => recordSkip(summary, s) };
  let doneBefore = 0;

  for (const [i, path] of paths.entries()) {
    summary.files++;
    const parser = source.open({ path, ingestedAt: deps.ingestedAt, defaults: deps.defaults }, sink);
    let lastReport = 0;
    for await (const line of readLines(path)) {
      summary.lines++;
      if (line.badUtf8)
        sink.skip({ ref: `${path}:${line.lineNo}`, code: 'SRC_NOT_UTF8', reason: 'line is not valid UTF-8' });
      else parser.line(line.text, line.lineNo);
      await batcher.maybeFlush();
      if (deps.onProgress && line.end - lastReport > 1 << 20) {
        lastReport = line.end;
        deps.onProgress(doneBefore + line.end, total);
      }
    }
    parser.end();
    await batcher.maybeFlush();
    doneBefore += sizes[i]!;
    deps.onProgress?.(doneBefore, total);
  }
  await batcher.flush();
  return summary;
}

/** Events from a generator (the demo organisation) into the ledger, with the same pricing and counting. */
export async function importEvents(
  events: Iterable<UnpricedEvent>,
  expected: number,
  deps: ImportDeps,
): Promise<ImportSummary> {
  const summary = emptySummary();
  const batcher = createBatcher(deps, summary);
  for (const e of events) {
    batcher.add(e);
    const pending = batcher.maybeFlush();
    if (pending) {
      await pending;
      deps.onProgress?.(summary.events, expected);
    }
  }
  await batcher.flush();
  deps.onProgress?.(summary.events, summary.events);
  return summary;
}

export function recordSkip(summary: ImportSummary, s: Skip): void {
  summary.skipped++;
  summary.skippedByCode[s.code] = (summary.skippedByCode[s.code] ?? 0) + 1;
  if (summary.firstSkips.length < FIRST_SKIPS) summary.firstSkips.push(s);
}
