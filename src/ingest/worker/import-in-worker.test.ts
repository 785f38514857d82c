import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPricer } from '../../pricing/load.js';
import type { Pricer } from '../../pricing/pricer.js';
import { csvSource } from '../../sources/csv/parse.js';
import { estimateDemoEvents, generateDemo } from '../../sources/demo/index.js';
import { jsonlSource } from '../../sources/jsonl/parse.js';
import type { LineSource } from '../../sources/source.js';
import { createDuckDbStore } from '../../store/duckdb/duckdb-store.js';
import type { Store } from '../../store/store.js';
import { importEvents, importFiles } from '../import-files.js';
import { emptySummary } from '../summary.js';
import { importInWorker, type Striping } from './import-in-worker.js';
import { niceOf, threadId, WORKER_NICE } from './priority.js';

const pricing = { cwd: tmpdir(), env: {} };

interface Import {
  paths: string[];
  worker: boolean;
  /** Events per batch: 3 unless said (small, so that small files still take several batches). */
  batchSize?: number;
  striping?: Striping;
}

/**
 * Runs the imports one after the other into one ledger, and returns the last one's summary and progress with
 * everything the ledger then holds, costs and rate cards included.
 */
async function run(source: LineSource, imports: Import[]) {
  const store = await createDuckDbStore(':memory:');
  const pricer = await loadPricer(pricing);
  let last: { summary: Awaited<ReturnType<typeof importFiles>>; progress: number[] } | undefined;
  for (const [i, g] of imports.entries()) last = await importGroup(store, pricer, source, g, i);
  const ledger = await store.events({});
  await store.close();
  return { summary: last!.summary, ledger, last: last!.progress.at(-1) };
}

async function importGroup(
  store: Store,
  pricer: Pricer,
  source: LineSource,
  { paths, worker, batchSize = 3, striping }: Import,
  i: number,
) {
  const progress: number[] = [];
  const summary = await importFiles(
    source,
    paths,
    {
      store,
      price: (e) => pricer.price(e),
      ingestedAt: 1_780_000_000_000_000 + i,
      defaults: { team: 'web' },
      batchSize,
      onProgress: (done) => progress.push(done),
      workerPricing: worker ? pricing : undefined,
      striping,
    },
    { worker: worker ? (source.id as 'jsonl' | 'csv') : undefined },
  );
  return { summary, progress };
}

const line = (o: object) =>
  JSON.stringify({ ts: '2026-11-03T09:12:44.120551Z', model: 'claude-sonnet-4-5', input_tokens: 10, ...o });

/** `n` lines: a broken one every 2,000 (from the 8th), the others events of 50 users with the fields `of(i)` gives. */
const manyLines = (n: number, of: (i: number) => object) =>
  Array.from({ length: n }, (_, i) =>
    i % 2_000 === 7 ? `{"ts": broken ${i}` : line({ user: `u${i % 50}`, ...of(i) }),
  );

describe('import in a worker thread', () => {
  it('stores the same events and reports the same summary as the in-thread import', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    writeFileSync(
      a,
      [
        line({ user: 'ana', cost_usd: '0.5', cost_source: 'computed', price_version: 'v0' }),
        '{"ts": broken',
        line({ model: 'no-such-model-anywhere' }),
        line({ output_tokens: -1 }),
        '',
        line({ input_tokens: 7, tags: { k: 'v' } }),
        line({ input_tokens: 7, tags: { k: 'v' } }),
      ].join('\n'),
    );
    writeFileSync(b, `${[1, 2, 3, 4, 5].map((n) => line({ output_tokens: n })).join('\n')}\n`);
    const inThread = await run(jsonlSource, [{ paths: [a, b], worker: false }]);
    const inWorker = await run(jsonlSource, [{ paths: [a, b], worker: true }]);
    expect(inWorker.summary).toEqual(inThread.summary);
    expect(inWorker.ledger).toEqual(inThread.ledger);
    expect(inWorker.last).toBe(inThread.last);
    // Two workers on files of one chunk each: the second has no stripe to parse and must still finish.
    const striped = await run(jsonlSource, [
      { paths: [a, b], worker: true, striping: { workers: 2, stripeChunks: 1 } },
    ]);
    expect(striped.summary).toEqual(inThread.summary);
    expect(striped.ledger).toEqual(inThread.ledger);
    expect(inThread.summary.imported).toBe(8);
    expect(inThread.summary.skippedByCode).toEqual({ SRC_BAD_JSON: 1, SRC_BAD_RECORD: 1 });
    expect(inThread.summary.unpriced.events).toBe(1);
  });

  it('counts as unpriced only the unpriced events it stored: a re-imported one is a duplicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const first = join(dir, 'first.jsonl');
    const grown = join(dir, 'grown.jsonl');
    const unknown = (n: number) =>
      line({ model: 'no-such-model-anywhere', input_tokens: n, output_tokens: 1 });
    const lines = [unknown(100), line({ user: 'ana' }), unknown(200), line({ user: 'bo' })];
    writeFileSync(first, `${lines.join('\n')}\n`);
    // The same lines and one more unpriced: in batches of 3, one batch holds both stored and new events.
    writeFileSync(grown, `${[...lines, unknown(400)].join('\n')}\n`);
    for (const worker of [false, true]) {
      const once = await run(jsonlSource, [{ paths: [first], worker }]);
      expect(once.summary.unpriced).toEqual({ events: 2, tokens: 302 });
      const again = await run(jsonlSource, [
        { paths: [first], worker },
        { paths: [first], worker },
      ]);
      expect(again.summary).toMatchObject({ imported: 0, duplicates: 4, unpriced: { events: 0, tokens: 0 } });
      const more = await run(jsonlSource, [
        { paths: [first], worker },
        { paths: [grown], worker },
      ]);
      expect(more.summary).toMatchObject({
        imported: 1,
        duplicates: 4,
        unpriced: { events: 1, tokens: 401 },
      });
    }
  });

  it('handles CSV the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const p = join(dir, 'u.csv');
    writeFileSync(
      p,
      'ts,model,input_tokens,tag.k\n2026-11-03T09:00:00Z,claude-sonnet-4-5,5,x\nbad,row\n2026-11-03T10:00:00Z,gpt-4o,"7",\n',
    );
    const inThread = await run(csvSource, [{ paths: [p], worker: false }]);
    const inWorker = await run(csvSource, [{ paths: [p], worker: true }]);
    expect(inWorker.summary).toEqual(inThread.summary);
    expect(inWorker.ledger).toEqual(inThread.ledger);
    expect(inThread.summary.imported).toBe(2);
  });

  it('maps the rate cards it prices with onto those the ledger already holds, and adds the new ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const first = join(dir, 'first.jsonl');
    const second = join(dir, 'second.jsonl');
    // The first import (in this thread) stores cards for two models; the worker's own numbering starts again at 1,
    // with a third model first, so its ids and the ledger's differ for every card.
    writeFileSync(first, `${[line({ model: 'gpt-4o' }), line({ output_tokens: 3 })].join('\n')}\n`);
    writeFileSync(
      second,
      `${[line({ model: 'gemini-2.5-pro', input_tokens: 9 }), line({ output_tokens: 4 }), line({ model: 'gpt-4o', input_tokens: 8 })].join('\n')}\n`,
    );
    const inThread = await run(jsonlSource, [
      { paths: [first], worker: false },
      { paths: [second], worker: false },
    ]);
    const viaWorker = await run(jsonlSource, [
      { paths: [first], worker: false },
      { paths: [second], worker: true },
    ]);
    expect(viaWorker.ledger).toEqual(inThread.ledger);
    expect(viaWorker.ledger).toHaveLength(5);
    expect(new Set(viaWorker.ledger.map((e) => e.rates?.input)).size).toBe(3);
    expect(viaWorker.ledger.every((e) => e.cost_source === 'computed')).toBe(true);
  });

  it('reads a large file in many batches, with bad lines throughout, and counts, reports and stores it as one thread does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const p = join(dir, 'big.jsonl');
    // ~3.5 MiB: many 1 MiB reads and 5,000-event batches.
    const lines = manyLines(24_000, (i) => ({
      input_tokens: (i % 9_000) + 1,
      session_id: `s${Math.floor(i / 40)}`,
    }));
    writeFileSync(p, `${lines.join('\n')}\n`);
    const inThread = await run(jsonlSource, [{ paths: [p], worker: false, batchSize: 5_000 }]);
    const inWorker = await run(jsonlSource, [{ paths: [p], worker: true, batchSize: 5_000 }]);
    expect(inWorker.summary).toEqual(inThread.summary);
    expect(inThread.summary.skipped).toBe(12);
    expect(inThread.summary.firstSkips.map((s) => s.ref.split(':').at(-1))).toEqual([
      '8',
      '2008',
      '4008',
      '6008',
      '8008',
      '10008',
      '12008',
      '14008',
      '16008',
      '18008',
    ]);
    expect(inThread.summary.duplicates).toBe(24_000 - 12 - 9_000 - inThread.summary.imported + 9_000);
    expect(inWorker.ledger).toEqual(inThread.ledger);
    expect(inThread.ledger).toHaveLength(24_000 - 12);
    expect(inWorker.last).toBe(inThread.last);
  });

  it('shares a file between workers stripe by stripe, and stores, counts and reports it as one thread does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const p = join(dir, 'big.jsonl');
    const q = join(dir, 'small.jsonl');
    // ~4.4 MiB: five 1 MiB chunks, so one-chunk stripes alternate between the workers (three workers: each gets
    // one or two). Bad lines throughout; repeats of earlier lines in later stripes (other workers) are duplicates.
    const lines = manyLines(30_000, (i) => ({
      input_tokens: (i % 11_000) + 1,
      session_id: `s${Math.floor((i % 11_000) / 40)}`,
    }));
    writeFileSync(p, `${lines.join('\n')}\n`);
    writeFileSync(q, `${[1, 2, 3].map((n) => line({ output_tokens: n })).join('\n')}\n{"ts":\n`);
    const inThread = await run(jsonlSource, [{ paths: [p, q], worker: false, batchSize: 4_000 }]);
    expect(inThread.summary.skipped).toBe(16);
    expect(inThread.summary.duplicates).toBeGreaterThan(8_000);
    for (const workers of [2, 3]) {
      const striped = await run(jsonlSource, [
        { paths: [p, q], worker: true, batchSize: 4_000, striping: { workers, stripeChunks: 1 } },
      ]);
      expect(striped.summary).toEqual(inThread.summary);
      expect(striped.ledger).toEqual(inThread.ledger);
      expect(striped.last).toBe(inThread.last);
    }
  });

  it('keeps an exported cost whose parts are not what its rate card gives as given, to the pico-dollar', async () => {
    // The worker's store trusts the cards its pricer attached (CardsChecked): the pricer must check exported ones.
    const pricer = await loadPricer(pricing);
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const p = join(dir, 'export.jsonl');
    // gemini-2.5-flash: 135,470 input tokens at $0.30/M = $0.040641, 1,004 output at $2.50/M = $0.00251.
    const exported = (input: string, total: string) =>
      line({
        model: 'gemini-2.5-flash',
        provider: 'google',
        input_tokens: 135_470,
        output_tokens: 1_004,
        cost_usd: total,
        cost_input: input,
        cost_cache_read: '0.000000000000',
        cost_cache_write: '0.000000000000',
        cost_output: '0.002510000000',
        cost_source: 'computed',
        price_version: pricer.version,
      });
    writeFileSync(
      p,
      `${exported('0.040641000000', '0.043151000000')}\n${exported('0.040641000001', '0.043151000001')}\n`,
    );
    const { ledger } = await run(jsonlSource, [{ paths: [p], worker: true }]);
    const byInput = new Map(ledger.map((e) => [e.cost_input, e]));
    expect([...byInput.keys()].sort()).toEqual([40_641_000_000n, 40_641_000_001n]);
    expect(byInput.get(40_641_000_001n)!.cost_usd).toBe(43_151_000_001n);
    expect(byInput.get(40_641_000_000n)!.cost_usd).toBe(43_151_000_000n);
  });

  it.runIf(process.platform === 'linux')(
    'parses at a lower priority than the thread storing the batches, so the store does not wait for a core',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
      const p = join(dir, 'a.jsonl');
      writeFileSync(p, `${manyLines(40, (i) => ({ input_tokens: i + 1 })).join('\n')}\n`);
      const store = await createDuckDbStore(':memory:');
      const summary = emptySummary();
      // Read while the store holds a batch: the worker is then alive, waiting for it or parsing the next.
      const niceWhileStoring: number[][] = [];
      await importInWorker(
        'jsonl',
        [{ path: p, size: statSync(p).size }],
        { store, price: (e) => e as never, ingestedAt: 1_780_000_000_000_000, batchSize: 3 },
        (batch) => {
          niceWhileStoring.push(threadNices());
          return store.appendPrepared!(batch);
        },
        pricing,
        false,
        summary,
      );
      await store.close();
      expect(summary.events).toBe(39); // line 8 is broken (manyLines)
      expect(niceWhileStoring.length).toBeGreaterThan(2);
      // This thread keeps its priority; exactly one thread (the one worker) runs at the workers' own.
      expect(niceOf(threadId()!)).toBe(0);
      for (const nices of niceWhileStoring) expect(nices.filter((n) => n === WORKER_NICE)).toHaveLength(1);
    },
  );
});

/** The nice value of each thread of this process (one may end while being read: skipped). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((t) => {
    try {
      return [niceOf(Number(t))];
    } catch {
      return [];
    }
  });
}

describe('the demo organisation in a worker thread', () => {
  it('stores exactly the priced events generateDemo makes, counted as the in-thread fill counts them', async () => {
    const opts = {
      seed: 7,
      people: 12,
      days: 5,
      end: 1_780_000_000_000_000,
      ingestedAt: 1_780_000_000_000_001,
    };
    const expected = estimateDemoEvents(opts);
    const pricer = await loadPricer(pricing);
    const here = await createDuckDbStore(':memory:');
    const inThread = await importEvents(generateDemo(opts), expected, {
      store: here,
      price: (e) => pricer.price(e),
      ingestedAt: opts.ingestedAt,
      batchSize: 500,
    });
    const there = await createDuckDbStore(':memory:');
    const inWorker = emptySummary();
    const progress: number[] = [];
    await importInWorker(
      'demo',
      [{ path: 'demo', size: expected }],
      {
        store: there,
        price: () => {
          throw new Error('priced in the worker');
        },
        ingestedAt: opts.ingestedAt,
        batchSize: 500, // many batches, so that the worker waits for this thread's acknowledgements
        onProgress: (done) => progress.push(done),
      },
      there.appendPrepared!.bind(there),
      pricing,
      false,
      inWorker,
      opts,
    );
    expect(inThread.events).toBeGreaterThan(2_000);
    expect(inWorker).toEqual(inThread);
    expect(progress.length).toBeGreaterThan(4);
    expect(progress.at(-1)).toBe(inThread.events);
    expect(await there.events({})).toEqual(await here.events({}));
    await here.close();
    await there.close();
  });
});
