import type { Coding } from '../../http/content-coding.js';
import { OtlpBodyError } from './map-batch.js';
import type { MappedExport, OtlpMapper } from './otlp-mapper.js';
import type { Signal } from './otlp-proto.js';

/**
 * Why an export was not taken, whatever the transport. `bad` is the sender's (a body that does not decode: OTLP says
 * not to retry it), `large` too (a body that gunzips past the limit), `busy` and `failed` are ours (the exporter
 * retries later). Each transport turns it into its own status: 400 / 413 / 503 over HTTP, INVALID_ARGUMENT /
 * RESOURCE_EXHAUSTED / UNAVAILABLE over gRPC.
 */
export class ExportRefused extends Error {
  constructor(
    readonly reason: 'bad' | 'large' | 'busy' | 'failed',
    /** A stable code for the message and the logs, e.g. OTLP_BAD_PROTOBUF, OTLP_BUSY. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What an accepted export became: events in the write-ahead log, and the records that could not be used. */
export interface Accepted {
  /** The export's signal: the one given, or the one its JSON body was told to be (map-batch.ts, signalOfJson). */
  signal: Signal;
  events: number;
  rejected: number;
  /** The first reasons for the rejected records ('' when none). */
  message: string;
}

export interface ExportAcceptorOptions {
  /** Turns bodies into priced log records, off the main thread. */
  mapper: OtlpMapper;
  /**
   * Resolves once the records are in the write-ahead log (Wal.appendEncoded; `wal.sync` says when on disk). `key`:
   * the mapper keeps the export's events under it (OtlpMapper.map), or null. `stateCopied`: the records hold state
   * lines, in the receiver's state file once it resolves (MappedExport), or null.
   */
  appendEncoded: (
    records: Buffer,
    count: number,
    key: number | null,
    stateCopied: Promise<void> | null,
  ) => Promise<void>;
  /** Largest body accepted, after decompression. */
  limitBytes: number;
  /** Events acknowledged but not yet in the store (Wal.depth); with `maxBehind`, what sheds load. */
  behind?: () => number;
  /** Beyond this many events behind, exports are refused as busy instead of taking more memory (default 200,000). */
  maxBehind?: number;
  /** Epoch µs stamped on each event as `ingested_at`. */
  now?: () => number;
}

export interface ExportAcceptor {
  /** Throws ExportRefused `busy` when too much waits for the store: checked before a body is read or decoded. */
  checkRoom(): void;
  /**
   * Decodes, maps and prices `body` (in the worker), then writes it to the log in one write; resolves after. `signal`
   * null: a JSON body whose top-level key says which signal it is.
   */
  accept(
    signal: Signal | null,
    body: Uint8Array,
    encoding: { json: boolean; coding: Coding | null },
  ): Promise<Accepted>;
}

/**
 * What both receivers (OTLP/HTTP and OTLP/gRPC) do with an export once its bytes are in: the same load shedding, the
 * same worker, one write-ahead-log write per export, so an answer of success always means every event it names is
 * in the log. Exporters can send faster than the store takes events in (bursts acknowledged 20–40% faster than they
 * reach DuckDB on 2 cores, bench/RESULTS.md): what is acknowledged waits in memory, as log records, until it is
 * stored. Past `maxBehind` events an export is refused as busy before it is decoded, which OTLP exporters retry
 * with backoff — as the Collector's memory limiter does — so a flood costs latency, not the process.
 */
export function exportAcceptor(o: ExportAcceptorOptions): ExportAcceptor {
  const maxBehind = o.maxBehind ?? 200_000;
  const now = o.now ?? (() => Date.now() * 1000);
  const checkRoom = () => {
    const behind = o.behind?.() ?? 0;
    if (behind >= maxBehind)
      throw new ExportRefused(
        'busy',
        'OTLP_BUSY',
        `${behind} acknowledged events are still on their way into the store (limit ${maxBehind}); retry later`,
      );
  };
  return {
    checkRoom,
    async accept(signal, body, { json, coding }) {
      checkRoom();
      let mapped: MappedExport;
      try {
        mapped = await o.mapper.map({
          signal,
          json,
          coding,
          body,
          ingestedAt: now(),
          limitBytes: o.limitBytes,
        });
      } catch (e) {
        if (e instanceof OtlpBodyError)
          throw new ExportRefused(e.code === 'OTLP_TOO_LARGE' ? 'large' : 'bad', e.code, e.message);
        throw unavailable(e);
      }
      try {
        await o.appendEncoded(mapped.records, mapped.events, mapped.key, mapped.stateCopied);
      } catch (e) {
        // An exporter may drop the export after a 503: its cumulative points must not become the series' last.
        if (mapped.moved !== null) o.mapper.settled(mapped.moved, false);
        throw unavailable(e);
      }
      if (mapped.moved !== null) o.mapper.settled(mapped.moved, true);
      return {
        signal: mapped.signal,
        events: mapped.events,
        rejected: mapped.rejected,
        message: mapped.message,
      };
    },
  };
}

const unavailable = (e: unknown) =>
  new ExportRefused(
    'failed',
    'OTLP_UNAVAILABLE',
    `could not record the batch, retry later: ${(e as Error).message}`,
  );
