import type { AttributionPatch } from '../ledger/attribution-patch.js';
import type { CallContent } from '../ledger/call-content.js';
import type { UsageEvent } from '../ledger/event.js';
import type { PreparedBatch } from './duckdb/prepare-batch.js';
import type { ImportRecords } from './import-records.js';
import type { CacheSavingsRow, EnergyRow, Filter, Query, QueryResult } from './query.js';

export interface AppendResult {
  inserted: number;
  /** Events whose (event_id, ts) the ledger already held: appending them again changes nothing. */
  duplicates: number;
}

/** Events without a price and their tokens (ledger/event.ts totalTokens). */
export interface UnpricedCount {
  events: number;
  tokens: number;
}

/** An append of events: what it stored, and which of the stored events have no price. */
export interface EventAppendResult extends AppendResult {
  /** Of the events inserted only: a repeat of a stored event is a duplicate, whatever its price. */
  unpriced: UnpricedCount;
  /**
   * Events before the ledger's raw horizon (Store.retireRaw), left out: their days are kept only as daily sums, built
   * when the events went. Present when some were.
   */
  retired?: number;
}

/**
 * The least raw retention (Store.retireRaw): a ledger keeps at least its last month of single calls, and an append of
 * younger events need not read the horizon.
 */
export const MIN_RETENTION_DAYS = 30;

/** What a retirement of raw events left (Store.retireRaw). */
export interface Retirement {
  /** The horizon after the run, epoch µs: events before it are kept only as daily sums. */
  keptFrom: number;
  /** Events dropped by this run. */
  events: number;
}

export interface EventFilter {
  filters?: readonly Filter[];
  since?: number;
  until?: number;
  limit?: number;
}

/** Canonical records (jsonl, csv, parquet), or the FOCUS 1.2 cost and usage dataset, CSV or Parquet (docs/focus.md). */
export const EXPORT_FORMATS = ['jsonl', 'csv', 'parquet', 'focus', 'focus-parquet'] as const;

export interface ExportOptions {
  format: (typeof EXPORT_FORMATS)[number];
  path: string;
  since?: number;
  until?: number;
}

export interface ExportResult {
  rows: number;
  /** FOCUS only: events left out because they have no price (a FOCUS cost cannot be unknown). */
  unpriced?: UnpricedCount;
}

/** One event's cost before and after a reprice, kept forever in the audit table. */
export interface RepriceAudit {
  event_id: string;
  ts: number;
  repriced_at: number;
  old_price_version: string | null;
  new_price_version: string | null;
  old_cost_usd: bigint | null;
  new_cost_usd: bigint | null;
}

export interface RepriceSelection {
  since?: number;
  /** Canonical model id: its events, and unpriced events the repricer now prices as it (their names resolve to it). */
  model?: string;
}

/**
 * How reprice prices each event, and the price version that is (catalog plus overrides hash). A server that holds
 * the ledger reprices with its own pricer, and only when its version is this one.
 */
export interface Repricer {
  readonly version: string;
  price(e: UsageEvent): UsageEvent;
}

export interface RepriceSummary {
  examined: number;
  changed: number;
  old_cost_usd: bigint;
  new_cost_usd: bigint;
  /** Examined events without a cost before and after, which the two sums leave out: unknown, not $0. */
  old_unpriced: number;
  new_unpriced: number;
}

/**
 * The ledger's storage. Implementations: store/duckdb (embedded, default), store/clickhouse (scale-out). One shared
 * suite, store.case.test.ts, runs against each.
 */
export interface Store {
  readonly id: string;
  /** Appends events, skipping those already stored; rollups are updated in the same transaction. */
  append(events: readonly UsageEvent[]): Promise<EventAppendResult>;
  /**
   * The same for a batch prepared in another thread (store/duckdb/prepare-batch.ts: the canonical import's parse
   * worker encodes its batches, sparing this thread a second pass over every event). Only where stores have such
   * an encoding.
   */
  appendPrepared?(batch: PreparedBatch): Promise<EventAppendResult>;
  /**
   * Fills agent and task_id of stored events where they are null (an OTLP agent span that arrived after the calls
   * under it: ledger/attribution-patch.ts); never changes what a source said, nor money or tokens. Rollups follow.
   * Idempotent; a patch naming no stored event changes nothing. Returns how many events changed.
   */
  attribute(patches: readonly AttributionPatch[]): Promise<{ patched: number }>;
  /** Stores gateway calls' text (ledger/call-content.ts), skipping what is stored already: idempotent. */
  storeContent(contents: readonly CallContent[]): Promise<{ inserted: number }>;
  /** The stored text of one call, addressed as its event is; null when none was kept. */
  content(eventId: string, ts: number): Promise<CallContent | null>;
  /**
   * Deletes the stored text of the calls whose events match `f` (its filters and time range; `limit` is not read):
   * a retention's age, or one person's calls on request. Their events, costs and rollups stay.
   */
  purgeContent(f: EventFilter): Promise<{ deleted: number }>;
  query(q: Query): Promise<QueryResult>;
  /**
   * Joules by the query's bucket and dimensions, over the events in its range and filters that carry energy (GPU
   * telemetry: docs/metrics.md, "Tokens per joule"); `top` and `billed` are not read.
   */
  energy(q: Query): Promise<EnergyRow[]>;
  /**
   * What the gateway's response cache saved (docs/gateway.md, Response cache): its hits in the query's range and
   * filters, by its bucket and dimensions, and what the events they were answered from cost; `top` and `billed` are
   * not read.
   */
  cacheSavings(q: Query): Promise<CacheSavingsRow[]>;
  /** Full events, newest first: the audit trail. */
  events(f: EventFilter): Promise<UsageEvent[]>;
  /**
   * The ids of those of `events` (each addressed by its id and ts) the store holds: one read however many are asked
   * (a rebuild of the budget counters asks for every call in flight).
   */
  held(events: readonly { event_id: string; ts: number }[]): Promise<Set<string>>;
  count(): Promise<number>;
  export(o: ExportOptions): Promise<ExportResult>;
  /**
   * Recomputes the cost of the selected events with `price` (events it returns null for become unpriced) and keeps
   * every changed event's old and new cost in the audit table.
   */
  reprice(sel: RepriceSelection, repricer: Repricer, now: number): Promise<RepriceSummary>;
  repriceAudit(limit?: number): Promise<RepriceAudit[]>;
  /**
   * Drops the events of every UTC month that ended before `before`, keeping their days in the rollups, and moves the
   * ledger's horizon to that month's end (docs/store.md, Raw retention). Only where the rollups answer every report
   * a retired range can be asked for (ClickHouse).
   */
  retireRaw?(before: number, graceMs?: number): Promise<Retirement>;
  /** Per-file import state, provider-reported costs and activity (import-records.ts); absent where unsupported. */
  readonly records?: ImportRecords;
  close(): Promise<void>;
}
