import type { AttributionPatch } from '../../ledger/attribution-patch.js';
import type { UnpricedEvent } from '../../ledger/event.js';
import type { Skip } from '../source.js';
import type { AttributeMap } from './attribution.js';
import type { GpuPool } from './gpu-energy.js';

/** What every mapping needs besides the request: no clock, no I/O. */
export interface MapContext {
  /** Epoch µs stamped on every event as `ingested_at`. */
  ingestedAt: number;
  attributes: AttributeMap;
  /** The GPUs whose energy counters count, and the model each serves (config `otlp.gpus`); none by default. */
  gpus?: readonly GpuPool[];
}

/** One export request turned into ledger events, plus the records it could not use and why. */
export interface Mapped {
  events: UnpricedEvent[];
  rejected: Skip[];
  /**
   * Each per-request usage event's dedupe keys (dedupe.ts): once the event is recorded, the counters of these are not.
   * Only an event that is kept may mark its keys (OtlpIngest.mark): one rejected after mapping is in no ledger.
   */
  perRequest: Map<UnpricedEvent, readonly string[]>;
  /** Records that were valid but are not usage (tool spans, other log events): neither events nor rejections. */
  ignored: number;
  /** Agent / task for events of earlier requests, from wrapper spans in this one (genai-spans.ts). */
  patches: AttributionPatch[];
  /**
   * Where each event made of several records came from (a metrics window: its data points, metrics.ts): an event
   * refused after mapping is that many rejected records, as partial success counts them. Absent: one record.
   */
  madeOf: Map<UnpricedEvent, readonly string[]>;
}

export function emptyMapped(): Mapped {
  return { events: [], rejected: [], perRequest: new Map(), ignored: 0, patches: [], madeOf: new Map() };
}
