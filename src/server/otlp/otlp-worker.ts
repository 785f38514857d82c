import { parentPort, workerData } from 'node:worker_threads';
import { type LoadPricerOptions, loadPricer } from '../../pricing/load.js';
import type { Overrides } from '../../pricing/overrides.js';
import { createPricer } from '../../pricing/pricer.js';
import type { AttributeMap } from '../../sources/otlp/attribution.js';
import { createOtlpIngest } from '../../sources/otlp/ingest.js';
import { owned } from '../../worker-thread.js';
import { type MappedBatch, mapBatch, type OtlpBatch, OtlpBodyError } from './map-batch.js';

/** What the receiver starts the worker with (otlp-mapper.ts). */
export interface OtlpWorkerData {
  pricing: LoadPricerOptions;
  attributes: AttributeMap;
  /** Epoch µs from which cumulative series are new (ingest.ts). */
  since: number;
}

/** An export to map, or the price overrides now in force (serve reloaded its overrides file: price-reload.ts). */
export type ToWorker = { id: number; batch: OtlpBatch } | { overrides: Overrides | null };
export type FromWorker =
  | { id: number; ok: MappedBatch }
  | { id: number; error: { badBody: boolean; message: string } };

/**
 * The OTLP worker: maps export requests one at a time, in the order they arrive, so the state the mappings keep
 * across requests (cumulative series, which keys sent per-request usage) sees them in order.
 */
const data = workerData as OtlpWorkerData;
let ready = loadPricer(data.pricing).then((pricer) => ({
  pricer,
  ingest: createOtlpIngest({ since: data.since, attributes: data.attributes }),
}));
// A pricer that fails to load fails each export with its reason (a 503), rather than the worker as it starts.
ready.catch(() => {});
const port = parentPort!;
port.on('message', async (m: ToWorker) => {
  if ('overrides' in m) {
    // Exports that arrive after this are priced with the new overrides; those before, with the old.
    ready = ready.then((s) => ({ ...s, pricer: createPricer(s.pricer.catalog, m.overrides) }));
    ready.catch(() => {});
    return;
  }
  const { id, batch } = m;
  try {
    const { ingest, pricer } = await ready;
    const ok = mapBatch(ingest, pricer, batch);
    // Moved, not copied: encodeRecords allocated the buffer for this call alone.
    port.postMessage({ id, ok } satisfies FromWorker, owned(ok.records, true));
  } catch (e) {
    const error = { badBody: e instanceof OtlpBodyError, message: (e as Error).message };
    port.postMessage({ id, error } satisfies FromWorker);
  }
});
