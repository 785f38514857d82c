import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cumulativeInputExport } from '../../../test/helpers/otlp-cumulative.js';
import { decodeRecords, decodeSegment } from '../../ledger/wal/codec.js';
import { loadPricer } from '../../pricing/load.js';
import { DEFAULT_ATTRIBUTES } from '../../sources/otlp/attribution.js';
import { createOtlpIngest } from '../../sources/otlp/ingest.js';
import { prepareBatch } from '../../store/duckdb/prepare-batch.js';
import { RateCardRegistry } from '../../store/duckdb/rate-cards.js';
import { readIngestJournal } from './ingest-journal.js';
import { mapBatch, type OtlpBatch, OtlpBodyError } from './map-batch.js';
import { createOtlpMapper, type OtlpMapper } from './otlp-mapper.js';

const T0 = 1_767_000_000_000_000_000n;

/** An OTLP/JSON trace export of `n` chat spans, numbered from `from`. */
function spans(n: number, from = 0): Buffer {
  const kv = (key: string, v: string | number) =>
    typeof v === 'string' ? { key, value: { stringValue: v } } : { key, value: { intValue: String(v) } };
  const out = Array.from({ length: n }, (_, k) => from + k).map((i) => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'chat gpt-4o',
    startTimeUnixNano: String(T0 + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(i) * 1_000_000n + 250_000_000n),
    attributes: [
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.provider.name', 'openai'),
      kv('gen_ai.request.model', 'gpt-4o'),
      kv('gen_ai.usage.input_tokens', 1000 + i),
      kv('gen_ai.usage.cache_read.input_tokens', 200),
      kv('gen_ai.usage.output_tokens', 50),
    ],
  }));
  return Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: out }] }] }));
}

const batch = (body: Buffer): OtlpBatch => ({
  signal: 'traces',
  json: true,
  coding: null,
  body,
  ingestedAt: 1_767_000_100_000_000,
  limitBytes: 256 << 20,
});

const START_MS = Number(T0 / 1_000_000n);
/** A cumulative input series of one app (service `service`), at `value` tokens `n` seconds in. */
const point = (n: number, value: number, service = 'meter'): OtlpBatch => ({
  ...batch(Buffer.from(cumulativeInputExport(START_MS, n, value).replace('"meter"', `"${service}"`))),
  signal: 'metrics',
});

const options = { pricing: { cwd: tmpdir(), env: {} }, attributes: DEFAULT_ATTRIBUTES, since: 0, keep: true };
let mapper: OtlpMapper;
afterEach(() => mapper?.close());

describe('the OTLP worker', () => {
  it('maps an export to exactly the log records the same mapping gives on this thread', async () => {
    mapper = createOtlpMapper(options);
    const body = spans(300);
    const inWorker = await mapper.map(batch(body));
    const here = mapBatch(
      createOtlpIngest({ since: 0 }),
      await loadPricer(options.pricing),
      batch(spans(300)),
    );
    expect(inWorker.events).toBe(300);
    expect(inWorker.records.equals(here.records)).toBe(true);
    expect(inWorker).toMatchObject({ rejected: 0, message: '' });
  });

  it('rejects a body that does not decode with the reason, and keeps working', async () => {
    mapper = createOtlpMapper(options);
    const bad = mapper.map(batch(Buffer.from('{"resourceSpans": [')));
    await expect(bad).rejects.toBeInstanceOf(OtlpBodyError);
    await expect(bad).rejects.toThrow(/not valid JSON/);
    expect((await mapper.map(batch(spans(2)))).events).toBe(2);
  });

  it('fails the exports a dying worker held, and maps the next one in a new worker', async () => {
    // The real worker, caught as it is handed its first export, then ended from outside as a crash would end it.
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    mapper = createOtlpMapper(options);
    const held = mapper.map(batch(spans(20_000)));
    const worker = posted.mock.contexts[0] as Worker;
    posted.mockRestore();
    await worker.terminate();
    await expect(held).rejects.toThrow(/OTLP worker exited/);
    expect((await mapper.map(batch(spans(3)))).events).toBe(3);
  });

  it("keeps an export's events, and prepares for the store exactly the batch its records would give, once", async () => {
    mapper = createOtlpMapper(options);
    const a = await mapper.map(batch(spans(200)));
    const b = await mapper.map(batch(spans(100, 200)));
    expect(a.key).not.toBeNull();
    expect(b.key).not.toBeNull();
    const prepared = await mapper.prepared([a.key!, b.key!]);
    const here = prepareBatch(
      [...decodeRecords(a.records), ...decodeRecords(b.records)],
      new RateCardRegistry(),
      false,
      true,
    );
    expect(prepared!.staged!.rows).toBe(300);
    expect(prepared!.staged!.strings).toEqual(here.staged!.strings);
    expect(prepared!.staged!.constants).toEqual(here.staged!.constants);
    expect([...prepared!.staged!.arrays.keys()]).toEqual([...here.staged!.arrays.keys()]);
    for (const [name, column] of here.staged!.arrays)
      expect(prepared!.staged!.arrays.get(name)).toEqual(column);
    expect(prepared!.rollups).toEqual(here.rollups);
    // Given to the store once: the worker no longer has them.
    expect(await mapper.prepared([a.key!])).toBeNull();
  });

  it('answers null for exports the worker did not keep: a new worker after a crash has none', async () => {
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    mapper = createOtlpMapper(options);
    const before = await mapper.map(batch(spans(10)));
    const worker = posted.mock.contexts[0] as Worker;
    posted.mockRestore();
    await worker.terminate();
    const after = await mapper.map(batch(spans(10, 10)));
    expect(await mapper.prepared([before.key!, after.key!])).toBeNull();
  });

  it("writes the state lines of a dead worker's export once the log took it, before a new worker reads them", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'otlp-mapper-'));
    const statePath = join(dir, 'ledger.otlp-state');
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    mapper = createOtlpMapper({ ...options, statePath });
    try {
      const first = await mapper.map(point(1, 100));
      const worker = posted.mock.contexts[0] as Worker;
      posted.mockRestore();
      // The point travels in the export's records, and is not in the file before the log took them.
      expect(decodeSegment(first.records).state).toHaveLength(1);
      expect(readIngestJournal(statePath).remembered.series).toEqual([]);
      await worker.terminate();
      mapper.settled(first.moved!, true);
      // At once: the new worker this starts waits for the point to be written, and goes on from it.
      const next = await mapper.map(point(2, 250));
      expect(decodeRecords(next.records).map((e) => e.input_tokens)).toEqual([150]);
      await first.stateCopied;
      // The second point waits for the log, as the first did.
      expect(readIngestJournal(statePath).remembered.series.map(([, p]) => p.value)).toEqual([100]);
    } finally {
      await mapper.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes back a refused export's points without touching another's refused later", async () => {
    // A full disk refuses every export in flight: here one of series `meter` and one of series `other`, both mapped
    // before the log's answer to the first reached the worker.
    mapper = createOtlpMapper(options);
    const first = await mapper.map(point(1, 100));
    mapper.settled(first.moved!, true);
    const [a, b] = await Promise.all([mapper.map(point(2, 250)), mapper.map(point(2, 50, 'other'))]);
    mapper.settled(a.moved!, false);
    mapper.settled(b.moved!, false);
    // Both senders dropped theirs: the next point of `meter` counts from 100, the last point the ledger recorded.
    const next = await mapper.map(point(3, 400));
    expect(decodeRecords(next.records).map((e) => e.input_tokens)).toEqual([300]);
  });

  describe('a refused export a later export of the same series was measured from', () => {
    // Two exports of one series in flight together (a Collector's queue sends several at once): the second one's
    // window starts at the first one's point, before the log's answer to the first reached the worker.
    const inFlight = async () => {
      const first = await mapper.map(point(1, 100));
      mapper.settled(first.moved!, true);
      return Promise.all([mapper.map(point(2, 250)), mapper.map(point(3, 400))]);
    };

    it('leaves the series at the last logged point when the later one is refused too', async () => {
      mapper = createOtlpMapper(options);
      const [a, c] = await inFlight();
      mapper.settled(a.moved!, false);
      mapper.settled(c.moved!, false);
      // Both dropped: the next point counts from 100, the last point the ledger recorded, not from the refused 250.
      const next = await mapper.map(point(4, 500));
      expect(decodeRecords(next.records).map((e) => e.input_tokens)).toEqual([400]);
    });

    it('counts the refused one when it is sent again after the later one was logged', async () => {
      mapper = createOtlpMapper(options);
      const [a, c] = await inFlight();
      mapper.settled(a.moved!, false);
      mapper.settled(c.moved!, true);
      const resent = await mapper.map(point(2, 250));
      // Its own window (100 → 250), with the event id of its first attempt; not stale.
      expect(decodeRecords(resent.records)).toEqual(decodeRecords(a.records));
      expect(decodeRecords(resent.records).map((e) => e.input_tokens)).toEqual([150]);
      if (resent.moved !== null) mapper.settled(resent.moved, true);
      // The series goes on from 400, the later logged point.
      const next = await mapper.map(point(4, 500));
      expect(decodeRecords(next.records).map((e) => e.input_tokens)).toEqual([100]);
    });
  });

  it('writes no refused point to the state file when it starts the file over while a later export waits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'otlp-mapper-'));
    const statePath = join(dir, 'ledger.otlp-state');
    // 20,001 other series in one export: their lines make the worker start the file over (ingest-journal.ts).
    const many = JSON.parse(cumulativeInputExport(START_MS, 2, 10));
    const metric = many.resourceMetrics[0].scopeMetrics[0].metrics[0];
    const [p0] = metric.sum.dataPoints;
    metric.sum.dataPoints = Array.from({ length: 20_001 }, (_, i) => ({
      ...p0,
      attributes: [...p0.attributes, { key: 'app.shard', value: { stringValue: `s${i}` } }],
    }));
    mapper = createOtlpMapper({ ...options, statePath });
    try {
      const first = await mapper.map(point(1, 100));
      mapper.settled(first.moved!, true);
      await first.stateCopied;
      // A and C of the series in flight together, C measured from A's point; then the large export.
      const [a, c, large] = await Promise.all([
        mapper.map(point(2, 250)),
        mapper.map(point(3, 400)),
        mapper.map({ ...batch(Buffer.from(JSON.stringify(many))), signal: 'metrics' }),
      ]);
      mapper.settled(a.moved!, false);
      mapper.settled(large.moved!, true);
      await large.stateCopied;
      // C not answered yet: a kill now must find the series at 100, where a refusal of C takes it back to.
      const series = readIngestJournal(statePath).remembered.series;
      expect(series).toHaveLength(20_002);
      expect(series.find(([k]) => !k.includes('app.shard'))![1].value).toBe(100);
      mapper.settled(c.moved!, false);
    } finally {
      await mapper.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes no waiting point to the state file when a later export of the series is refused first', async () => {
    // A and C of one series in flight together, C measured from A's point; the log refuses C while A still waits
    // (its answer comes later). Taking C back puts the series at A's point in memory, but the file must stay at the
    // last logged point: a kill then, and A never sent again, would have A's window lost.
    const dir = await mkdtemp(join(tmpdir(), 'otlp-mapper-'));
    const statePath = join(dir, 'ledger.otlp-state');
    const onFile = () => readIngestJournal(statePath).remembered.series.map(([, p]) => p.value);
    mapper = createOtlpMapper({ ...options, statePath });
    try {
      const first = await mapper.map(point(1, 100));
      mapper.settled(first.moved!, true);
      await first.stateCopied;
      const [a, c] = await Promise.all([mapper.map(point(2, 250)), mapper.map(point(3, 400))]);
      mapper.settled(c.moved!, false);
      // An export that moves nothing: mapped after the refusal, and flushed before its answer.
      await mapper.map(batch(spans(1)));
      expect(onFile()).toEqual([100]);
      mapper.settled(a.moved!, true);
      await a.stateCopied;
      expect(onFile()).toEqual([250]);
    } finally {
      await mapper.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses exports once closed', async () => {
    mapper = createOtlpMapper(options);
    await mapper.close();
    await expect(mapper.map(batch(spans(1)))).rejects.toThrow(/closed/);
  });
});
