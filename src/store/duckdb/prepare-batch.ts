import { type RateCard, totalTokens, type UsageEvent } from '../../ledger/event.js';
import { idHalf } from '../../ledger/event-id.js';
import type { UnpricedCount } from '../store.js';
import type { CardsChecked } from './cost-storage.js';
import { RateCardRegistry } from './rate-cards.js';
import { type RollupRows, rollupRows } from './rollup-delta.js';
import { type EncodedBatch, encodeBatch } from './stage-encode.js';

/**
 * The JS half of an append, which touches no connection: a batch with its repeats dropped, put in storage order and
 * encoded (stage-encode.ts). Pure data (typed arrays, strings, numbers), so it can be built in another thread and
 * posted: the canonical import encodes in its parse worker (ingest/worker), the store otherwise encodes in its own.
 */

/** A batch ready to write (staged is null when every event repeated one before it). */
export interface PreparedBatch {
  given: number;
  staged: EncodedBatch | null;
  /** The staged events without a price, and their tokens: the append reports those it inserted (append.ts). */
  unpriced: UnpricedCount;
  /**
   * The rate cards the batch's rate ids stand for, by id, when they were handed out by another registry than the
   * store's (a worker's): the store maps them to its own ids before writing. Absent: ids are the store's.
   */
  cards?: ReadonlyMap<number, RateCard>;
  /**
   * The batch's rows for the pending rollup tables, summed from its events (rollup-delta.ts); absent, or null when
   * the sums could not be kept exactly, the append has DuckDB sum the staged rows instead.
   */
  rollups?: RollupRows | null;
}

/**
 * The order a batch is stored in: grouped by which of reasoning tokens, 5-minute and 1-hour cache writes the event
 * has (none first, then 1h, 5m, 5m and 1h, reasoning, …), otherwise as given (a stable partition, done here so the
 * SQL needs no sort). DuckDB bit-packs each 2048 values to the width of the largest, so mostly-zero token columns
 * cost nearly as much as full ones when a few non-zero values are spread through every group; grouped, the zero
 * runs pack to nothing. On the 10M-event demo: 29.2 → 27.4 B/event for the events table with the first two keys
 * (reasoning_tokens 2.14 → 1.04, cache_write_5m_tokens 2.15 → 1.07, ts 2.70 → 3.19, as its deltas jump at the
 * boundaries); the 1-hour writes as a third key: 984 → 974 blocks rewriting the events table, 1,196 → 1,191 in a
 * demo fill (a fourth key, streamed or not, saved 3 more in the rewrite and was left out). Zone maps are unchanged:
 * rows only move within their batch.
 */
export function storageOrder(events: readonly UsageEvent[]): UsageEvent[] {
  const parts: UsageEvent[][] = [[], [], [], [], [], [], [], []];
  for (const e of events)
    parts[
      (e.reasoning_tokens > 0 ? 4 : 0) +
        (e.cache_write_5m_tokens > 0 ? 2 : 0) +
        (e.cache_write_1h_tokens > 0 ? 1 : 0)
    ]!.push(e);
  return parts.flat();
}

/**
 * Validates and encodes `events` (STORE_BAD_EVENT names the first bad one), with rate ids from `rates`, and with
 * `withRollups` sums its rollup rows too (a store that keeps pending rollups per batch). The store
 * runs it before queueing for the connection, so a batch is encoded while the previous one's statements run in
 * DuckDB (in series, the main thread had idled ~14 s of a 28 s import of 1M events waiting for them, and DuckDB for
 * it).
 */
export function prepareBatch(
  events: readonly UsageEvent[],
  rates: RateCardRegistry,
  cardsChecked: CardsChecked = false,
  withRollups = false,
): PreparedBatch {
  const unique = uniqueInBatch(events);
  if (unique.length === 0) return { given: events.length, staged: null, unpriced: { events: 0, tokens: 0 } };
  const ordered = storageOrder(unique);
  const staged = encodeBatch(ordered, rates, cardsChecked);
  return {
    given: events.length,
    staged,
    unpriced: unpricedOf(unique),
    ...(withRollups ? { rollups: rollupRows(staged, ordered) } : {}),
  };
}

function unpricedOf(events: readonly UsageEvent[]): UnpricedCount {
  const out = { events: 0, tokens: 0 };
  for (const e of events)
    if (e.cost_source === 'unpriced') {
      out.events++;
      out.tokens += totalTokens(e);
    }
  return out;
}

/**
 * Prepares batches away from the store: rate ids come from a registry of the preparer's own, and each batch carries
 * the cards it uses so the store can map them to its ids (`cards`). One per worker, for all its batches.
 */
export class DetachedPreparer {
  private readonly rates = new RateCardRegistry();
  private readonly cards = new Map<number, RateCard>();

  /** `withRollups`: sum each batch's rollup rows too (for a store that keeps pending rollups: a server's). */
  constructor(
    private readonly cardsChecked: CardsChecked,
    private readonly withRollups = false,
  ) {}

  prepare(events: readonly UsageEvent[]): PreparedBatch {
    const batch = prepareBatch(events, this.rates, this.cardsChecked, this.withRollups);
    const fresh = this.rates.unwrittenIds();
    for (const id of fresh) this.cards.set(id, this.rates.card(id)!);
    this.rates.markWritten(fresh);
    return { ...batch, cards: this.cards };
  }
}

/** The batch's typed arrays, to move rather than copy to another thread (encodeBatch gives each a buffer of its own). */
export function preparedTransfer(b: PreparedBatch): ArrayBuffer[] {
  return b.staged ? [...new Set([...b.staged.arrays.values()].map((a) => a.buffer as ArrayBuffer))] : [];
}

/**
 * The batch with its rate ids mapped from the numbering of `batch.cards` to `rates`' own (handing out ids for cards
 * the store has not seen). A few cards a batch: one registry lookup each, then an array lookup per event.
 */
export function adoptRateIds(batch: PreparedBatch, rates: RateCardRegistry): PreparedBatch {
  const { cards, staged } = batch;
  if (!cards || !staged) return batch;
  let top = 0;
  for (const id of cards.keys()) if (id > top) top = id;
  const ours = new Int32Array(top + 1);
  for (const [id, card] of cards) ours[id] = rates.idOf(card);
  const ids = staged.arrays.get('rate_id') as Int32Array;
  for (let i = 0; i < ids.length; i++) ids[i] = ours[ids[i]!]!;
  // Rollup rows hold no rate ids: they go as summed.
  return {
    given: batch.given,
    staged,
    unpriced: batch.unpriced,
    ...(batch.rollups === undefined ? {} : { rollups: batch.rollups }),
  };
}

/**
 * The batch without repeats of an (event_id, ts) pair, first one kept; the batch itself when it has none. Ids in the
 * ledger's form (all, once validated) are looked up by their two 32-bit halves in an open-addressing table of event
 * indexes: a Map keyed on the id strings cost ~0.7 µs an event, hashing each fresh string. An id seen again at
 * another ts is rare: such pairs as `id@ts`.
 */
function uniqueInBatch(events: readonly UsageEvent[]): readonly UsageEvent[] {
  const n = events.length;
  let bits = 4;
  while (1 << bits < 2 * n) bits++;
  const mask = (1 << bits) - 1;
  const slots = new Int32Array(1 << bits).fill(-1);
  const his = new Uint32Array(n);
  const los = new Uint32Array(n);
  let others: Set<string> | null = null;
  let out: UsageEvent[] | null = null;
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const hi = idHalf(e.event_id, 0);
    const lo = idHalf(e.event_id, 8);
    let repeat = false;
    // An id not in the ledger's form fails the batch in encodeBatch; until then it is kept as it is.
    if (hi >= 0 && lo >= 0) {
      his[i] = hi;
      los[i] = lo;
      // Ids are hashes already: their low bits are as good a slot as any.
      let slot = lo & mask;
      let first = -1;
      for (; slots[slot] !== -1; slot = (slot + 1) & mask) {
        const j = slots[slot]!;
        if (his[j] === hi && los[j] === lo) {
          first = j;
          break;
        }
      }
      if (first < 0) slots[slot] = i;
      else if (events[first]!.ts === e.ts) repeat = true;
      else {
        others ??= new Set();
        const key = `${e.event_id}@${e.ts}`;
        if (others.has(key)) repeat = true;
        else others.add(key);
      }
    }
    if (repeat) out ??= events.slice(0, i);
    else out?.push(e);
  }
  return out ?? events;
}
