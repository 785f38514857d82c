/**
 * What imports keep beside the events: per-file progress (so a re-import reads only what is new), provider-reported
 * costs and Claude Code activity (each idempotent by record id), and the computed side of a reconciliation. An
 * optional ability of a Store (`store.records`): a store without it cannot import incrementally or reconcile.
 */
import type { ActivityRecord, ProviderCostRecord } from '../sources/provider-records.js';
import type { AppendResult } from './store.js';

/** Where the last import of one file stopped. `path` is absolute. */
export interface FileState {
  source: string;
  path: string;
  /** Size and modification time (ms) when it was read: both equal means unchanged, so the file is not opened. */
  size: number;
  mtimeMs: number;
  /** Byte offset and 1-based line number the next import starts at; 0/1 for sources that re-read whole files. */
  offset: number;
  lineNo: number;
  /** Hash of the bytes just before `offset`; a different hash means the file was rewritten and is read again. */
  check: string | null;
  /** Lines from `offset` on were held back (a response still being written), so even an unchanged file is read. */
  heldBack: boolean;
  /** What the parser knew at `offset` (ResumableParser.state(), JSON text), for reading on from there. */
  parserState: string | null;
  /** Epoch µs. */
  importedAt: number;
}

export interface RecordFilter {
  /** Epoch µs, inclusive (bucket start for costs, day start for activity). */
  since?: number;
  /** Epoch µs, exclusive. */
  until?: number;
  provider?: string;
}

/** Our computed cost of the ledger's events, by UTC day, source, provider, project and model. */
export interface ComputedCostRow {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  source: string;
  provider: string | null;
  project: string | null;
  model: string;
  events: number;
  /** Sum of cost_usd over priced events, pico-dollars. */
  cost_usd: bigint;
  unpriced_events: number;
  /** Events that carry a provider-reported cost (`provider_cost_usd`), and what those cost us and them. */
  provider_cost_events: number;
  provider_cost_usd: bigint;
  cost_usd_of_provider_cost_events: bigint;
  unpriced_provider_cost_events: number;
  /**
   * Events with web searches, how many of them have no price, and the web search fees inside cost_usd (what it holds
   * beyond its four token parts, pricing/cost.ts): a cost report can bill searches on a line of their own.
   */
  web_search_events: number;
  unpriced_web_search_events: number;
  web_search_usd: bigint;
}

export interface ImportRecords {
  fileStates(source: string): Promise<Map<string, FileState>>;
  /** Inserts or replaces by (source, path). */
  saveFileStates(states: readonly FileState[]): Promise<void>;
  /** Stores cost records whose record_id is new; `duplicates` counts the rest. */
  appendCosts(records: readonly ProviderCostRecord[], ingestedAt: number): Promise<AppendResult>;
  appendActivity(records: readonly ActivityRecord[], ingestedAt: number): Promise<AppendResult>;
  /** Ordered by bucket_start, provider, project, model, line_item, record_id. */
  providerCosts(f?: RecordFilter): Promise<ProviderCostRecord[]>;
  /** Ordered by date, actor, record_id. */
  activity(f?: RecordFilter): Promise<ActivityRecord[]>;
  computedCosts(f?: RecordFilter): Promise<ComputedCostRow[]>;
}
