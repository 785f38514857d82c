import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../ledger/event.js';
import { loadPricer } from '../../pricing/load.js';
import { csvSource } from '../../sources/csv/parse.js';
import { jsonlSource } from '../../sources/jsonl/parse.js';
import type { LineSource } from '../../sources/source.js';
import { createDuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { importFiles } from '../import-files.js';

const pricing = { cwd: tmpdir(), env: {} };

async function run(source: LineSource, paths: string[], worker: boolean) {
  const store = await createDuckDbStore(':memory:');
  const pricer = await loadPricer(pricing);
  const appended: UsageEvent[] = [];
  const progress: number[] = [];
  const summary = await importFiles(
    source,
    paths,
    {
      store: {
        ...store,
        append: (events) => {
          appended.push(...events);
          return store.append(events);
        },
      },
      price: (e) => pricer.price(e),
      ingestedAt: 1_780_000_000_000_000,
      defaults: { team: 'web' },
      batchSize: 3,
      onProgress: (done) => progress.push(done),
      workerPricing: worker ? pricing : undefined,
    },
    { worker: worker ? (source.id as 'jsonl' | 'csv') : undefined },
  );
  await store.close();
  return { summary, appended, last: progress.at(-1) };
}

const line = (o: object) =>
  JSON.stringify({ ts: '2026-11-03T09:12:44.120551Z', model: 'claude-sonnet-4-5', input_tokens: 10, ...o });

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
    const inThread = await run(jsonlSource, [a, b], false);
    const inWorker = await run(jsonlSource, [a, b], true);
    expect(inWorker.summary).toEqual(inThread.summary);
    expect(inWorker.appended).toEqual(inThread.appended);
    expect(inWorker.last).toBe(inThread.last);
    expect(inThread.summary.imported).toBe(8);
    expect(inThread.summary.duplicates).toBe(1);
    expect(inThread.summary.skippedByCode).toEqual({ SRC_BAD_JSON: 1, SRC_BAD_RECORD: 1 });
    expect(inThread.summary.unpriced.events).toBe(1);
  });

  it('handles CSV the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    const p = join(dir, 'u.csv');
    writeFileSync(
      p,
      'ts,model,input_tokens,tag.k\n2026-11-03T09:00:00Z,claude-sonnet-4-5,5,x\nbad,row\n2026-11-03T10:00:00Z,gpt-4o,"7",\n',
    );
    const inThread = await run(csvSource, [p], false);
    const inWorker = await run(csvSource, [p], true);
    expect(inWorker.summary).toEqual(inThread.summary);
    expect(inWorker.appended).toEqual(inThread.appended);
    expect(inThread.summary.imported).toBe(2);
  });
});
