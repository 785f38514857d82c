import type { RateCard } from '../../ledger/event.js';
import { storeError } from '../errors.js';
import { RATE_NAMES } from './cost-sql.js';

const E12 = 10n ** 12n;
const E6 = 10n ** 6n;
const INT64_MAX = 2n ** 63n - 1n;

/** A rate split as cost-sql.ts needs it: rate = a·10^12 + b1·10^6 + b0. */
export function splitRate(rate: bigint): { a: bigint; b1: bigint; b0: bigint } {
  if (rate < 0n)
    throw storeError('STORE_BAD_EVENT', `a rate is negative (${rate}); rates are USD per 1M tokens ≥ 0`);
  const a = rate / E12;
  if (a > INT64_MAX)
    throw storeError('STORE_BAD_EVENT', `a rate is too large to store (${rate} at 18 digits)`);
  const rest = rate % E12;
  return { a, b1: rest / E6, b0: rest % E6 };
}

export function rateKey(r: RateCard): string {
  return `${r.input}:${r.cache_read}:${r.cache_write_5m}:${r.cache_write_1h}:${r.output}`;
}

/** Columns of rate_cards after rate_id, in order: each rate whole (for reading back) and split. */
export const RATE_COLUMNS: readonly string[] = RATE_NAMES.flatMap((n) => [n, `${n}_a`, `${n}_b1`, `${n}_b0`]);

export function rateRow(r: RateCard): bigint[] {
  return RATE_NAMES.flatMap((n) => {
    const s = splitRate(r[n]);
    return [r[n], s.a, s.b1, s.b0];
  });
}

/**
 * The rate cards the ledger holds, by key. Ids are assigned here, in memory, and the row is written before any
 * event that uses it; a card written by an append that later rolls back is harmless (unused).
 */
export class RateCardRegistry {
  private readonly ids = new Map<string, number>();
  private readonly cards = new Map<number, RateCard>();
  // The pricing engine hands the same RateCard object to many events: remembering it skips building the key.
  private byObject = new WeakMap<RateCard, number>();
  private next = 1;

  load(rows: Iterable<[number, RateCard]>): void {
    for (const [id, card] of rows) {
      this.ids.set(rateKey(card), id);
      this.cards.set(id, card);
      if (id >= this.next) this.next = id + 1;
    }
  }

  /** The id of `card`, and whether it is new (so must be written). */
  idOf(card: RateCard): { id: number; added: boolean } {
    const seen = this.byObject.get(card);
    if (seen !== undefined && this.cards.has(seen)) return { id: seen, added: false };
    const key = rateKey(card);
    const known = this.ids.get(key);
    if (known !== undefined) {
      this.byObject.set(card, known);
      return { id: known, added: false };
    }
    rateRow(card); // validates before the id is handed out
    const id = this.next++;
    this.ids.set(key, id);
    this.cards.set(id, card);
    this.byObject.set(card, id);
    return { id, added: true };
  }

  card(id: number): RateCard | undefined {
    return this.cards.get(id);
  }

  forget(id: number): void {
    const card = this.cards.get(id);
    if (card) this.ids.delete(rateKey(card));
    this.cards.delete(id);
    this.byObject = new WeakMap();
  }
}
