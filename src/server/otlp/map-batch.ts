import { type Coding, DecodedTooLarge, decodeSync } from '../../http/content-coding.js';
import { type UnpricedEvent, USAGE_FIELDS, type UsageEvent } from '../../ledger/event.js';
import { encodePatches, encodeRecords } from '../../ledger/wal/codec.js';
import type { Pricer } from '../../pricing/pricer.js';
import type { OtlpIngest } from '../../sources/otlp/ingest.js';
import type { Mapped } from '../../sources/otlp/mapped.js';
import type { Skip } from '../../sources/source.js';
import { SIGNALS, type Signal } from './otlp-proto.js';
import { readTraceRequest } from './trace-reader.js';

/** One export request as it came off the wire. */
export interface OtlpBatch {
  /**
   * From the path; null for a JSON body POSTed to `/`, whose signal is told from its top-level key (signalOfJson):
   * Gemini CLI before google-gemini/gemini-cli#16836 sent every signal there (docs/otel/gemini-cli.md).
   */
  signal: Signal | null;
  /** application/json; otherwise binary protobuf. */
  json: boolean;
  /** The body's content-encoding; null for none. */
  coding: Coding | null;
  body: Uint8Array;
  /** Epoch µs stamped on every event as `ingested_at`. */
  ingestedAt: number;
  /** Largest body accepted after decompression. */
  limitBytes: number;
}

/** The request's events as write-ahead-log records, and what could not be used. */
export interface MappedBatch {
  /** The batch's signal, or the one its body was told to be; the answer's partial-success field follows it. */
  signal: Signal;
  /**
   * encodeRecords' bytes: the priced events in checksummed batch lines; then a line per attribution patch (agent /
   * task for events of earlier requests, from wrapper spans in this one), which the log keeps as durably as the
   * events.
   */
  records: Buffer;
  events: number;
  patches: number;
  rejected: number;
  /** The partial-success message (empty when nothing was rejected). */
  message: string;
}

/**
 * A body that cannot be read as the request it claims to be: the receiver answers 400 with this message; or, with
 * code OTLP_TOO_LARGE, one that gunzips to more than the limit, answered like a body over it (413).
 */
export class OtlpBodyError extends Error {
  constructor(
    message: string,
    readonly code: 'OTLP_BAD_BODY' | 'OTLP_TOO_LARGE' = 'OTLP_BAD_BODY',
  ) {
    super(message);
  }
}

/** mapBatch's result on the thread that mapped it: also the priced events its records encode. */
export interface MappedHere extends MappedBatch {
  priced: UsageEvent[];
  /**
   * The per-request keys its kept records marked (Mapped.perRequest, OtlpIngest.mark): taken back if the log refuses
   * the export. A rejected record marks none.
   */
  perRequest: ReadonlySet<string>;
}

/**
 * Body → decoded request → events → priced → log records: all of an export's work before it can be acknowledged,
 * except the write itself. Synchronous and free of I/O, so the receiver runs it in a worker thread beside the main
 * one (otlp-mapper.ts), and tests and benchmarks call it directly.
 */
export function mapBatch(ingest: OtlpIngest, pricer: Pricer, b: OtlpBatch): MappedHere {
  let body = Buffer.from(b.body.buffer, b.body.byteOffset, b.body.byteLength);
  if (b.coding !== null) {
    try {
      body = decodeSync(b.coding, body, b.limitBytes);
    } catch (e) {
      if (e instanceof DecodedTooLarge)
        throw new OtlpBodyError(
          `body larger than ${b.limitBytes} bytes once decoded (${b.coding}); export smaller batches`,
          'OTLP_TOO_LARGE',
        );
      throw new OtlpBodyError(
        `content-encoding ${b.coding}, but the body is not valid ${b.coding}: ${(e as Error).message}`,
      );
    }
  }
  const { signal, request } = decode(b.signal, body, b.json);
  let mapped: Mapped;
  try {
    mapped =
      signal === 'traces'
        ? ingest.traces(request, b.ingestedAt)
        : signal === 'logs'
          ? ingest.logs(request, b.ingestedAt)
          : ingest.metrics(request, b.ingestedAt);
  } catch (e) {
    // Protobuf decodes to the schema's shape; JSON is any object, and one whose lists are not lists (a number, a
    // null record) fails inside the mapping. That is the body's fault: a 400, which exporters do not retry, not
    // a 503 they would send again forever.
    if (b.json && e instanceof TypeError)
      throw new OtlpBodyError(`not an Export${cap(signal)}ServiceRequest: ${e.message}`);
    throw e;
  }
  const rejected: Skip[] = [...mapped.rejected];
  const priced: UsageEvent[] = [];
  const perRequest = new Set<string>();
  // A refused event is each record it was made of: partial success counts data points, not metrics windows.
  const refuse = (e: UnpricedEvent, code: string, reason: string) => {
    for (const ref of mapped.madeOf.get(e) ?? [e.source_ref ?? e.event_id])
      rejected.push({ ref, code, reason });
  };
  for (const e of mapped.events) {
    const bad = unstorable(e);
    if (bad !== null) {
      refuse(e, BAD_RECORD[signal], bad);
      continue;
    }
    try {
      priced.push(pricer.price(e));
    } catch (err) {
      refuse(e, 'OTLP_UNPRICEABLE', (err as Error).message);
      continue;
    }
    for (const k of mapped.perRequest.get(e) ?? []) perRequest.add(k);
  }
  ingest.mark(perRequest);
  const events = encodeRecords(priced);
  return {
    signal,
    records: mapped.patches.length === 0 ? events : Buffer.concat([events, encodePatches(mapped.patches)]),
    events: priced.length,
    patches: mapped.patches.length,
    rejected: rejected.length,
    message: summary(rejected),
    priced,
    perRequest,
  };
}

const BAD_RECORD: Record<Signal, string> = {
  traces: 'OTLP_BAD_SPAN',
  logs: 'OTLP_BAD_LOG_RECORD',
  metrics: 'OTLP_BAD_DATA_POINT',
};

/**
 * Why the store would refuse this event, or null. Checked before the 200: an event acknowledged into the write-ahead
 * log that the store then refuses (a counter point of 1e300 tokens, a start time past 2255, beyond 2^53 µs) is retried
 * forever, holding back every event behind it, and stops the server from starting again.
 */
function unstorable(e: UnpricedEvent): string | null {
  if (!Number.isSafeInteger(e.ts) || e.ts <= 0) return `time ${e.ts} µs is not a usable epoch time`;
  for (const k of USAGE_FIELDS)
    if (!Number.isSafeInteger(e[k]) || e[k] < 0)
      return `${k} would be ${e[k]}, expected a whole number of tokens from 0 to 2^53 − 1`;
  return null;
}

function decode(given: Signal | null, body: Buffer, json: boolean): { signal: Signal; request: object } {
  if (json) {
    let v: unknown;
    try {
      v = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new OtlpBodyError(`not valid JSON: ${(e as Error).message}`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new OtlpBodyError(
        `expected an Export${given === null ? '{Trace,Metrics,Logs}' : cap(given)}ServiceRequest JSON object`,
      );
    if (given === null) return { signal: signalOfJson(v), request: v };
    pathMatchesJson(given, v);
    return { signal: given, request: v };
  }
  // The receiver sends only JSON bodies without a signal (a protobuf one at / is its 404).
  if (given === null) throw new OtlpBodyError('a protobuf body needs its signal from the path');
  const signal = given;
  try {
    return {
      signal,
      request:
        signal === 'traces' ? readTraceRequest(body) : (SIGNALS[signal].request.decode(body) as object),
    };
  } catch (e) {
    throw new OtlpBodyError(
      `not a valid Export${cap(signal)}ServiceRequest protobuf: ${(e as Error).message}`,
    );
  }
}

/** Each Export…ServiceRequest's one field, as OTLP/JSON names it. */
const JSON_KEYS: Record<Signal, string> = {
  traces: 'resourceSpans',
  metrics: 'resourceMetrics',
  logs: 'resourceLogs',
};

/** The signals whose request field is a top-level key of this OTLP/JSON body. */
function signalsIn(request: object): Signal[] {
  return (Object.keys(JSON_KEYS) as Signal[]).filter((s) => Object.hasOwn(request, JSON_KEYS[s]));
}

/**
 * The signal of an OTLP/JSON request that came without one: the request messages of the three signals each have one
 * field, named differently, so exactly one of those keys at the top level says which it is. None (nothing to tell
 * it by) or several (not any one request) is a body error, never a guess.
 */
export function signalOfJson(request: object): Signal {
  const found = signalsIn(request);
  if (found.length === 1) return found[0]!;
  const keys = Object.values(JSON_KEYS).join(', ');
  throw new OtlpBodyError(
    `a JSON body POSTed to / must hold exactly one of ${keys} at the top level to tell its signal (found ${found.length === 0 ? 'none' : found.map((s) => JSON_KEYS[s]).join(' and ')}); or POST it to /v1/traces, /v1/metrics or /v1/logs`,
  );
}

/**
 * A JSON body that holds another signal's records and none of its path's would map to nothing and be answered 200,
 * dropping them where the sender cannot see it (Gemini CLI before google-gemini/gemini-cli#16836 posted every signal
 * to the endpoint as given, e.g. its logs to …/v1/traces): a 400 that names the right path instead. A body with
 * none of the keys is an empty request, as OTLP allows.
 */
function pathMatchesJson(signal: Signal, request: object): void {
  const found = signalsIn(request);
  if (found.includes(signal)) return;
  const other = found[0];
  if (other !== undefined)
    throw new OtlpBodyError(
      `a JSON body with ${JSON_KEYS[other]} and no ${JSON_KEYS[signal]} is not an Export${cap(signal)}ServiceRequest; POST it to /v1/${other}`,
    );
}

function cap(signal: Signal): string {
  return signal === 'traces' ? 'Trace' : signal === 'logs' ? 'Logs' : 'Metrics';
}

/** The partial-success message: how many, by code, and the first few places and reasons. */
function summary(rejected: readonly Skip[]): string {
  if (rejected.length === 0) return '';
  const first = rejected.slice(0, 5).map((r) => `${r.ref}: ${r.reason}`);
  const more = rejected.length > 5 ? `; and ${rejected.length - 5} more` : '';
  return `${rejected.length} record${rejected.length === 1 ? '' : 's'} rejected: ${first.join('; ')}${more}`;
}
