import type { RateCard } from '../../ledger/event.js';
import { SEARCH_RATE_TO_MILLION } from '../../pricing/cost.js';
import { storeError } from '../errors.js';
import { RATE_NAMES, type RateName } from './cost-sql.js';
import type { DuckDbSession } from './session.js';

const E12 = 10n ** 12n;
const E6 = 10n ** 6n;
const INT64_MAX = 2n ** 63n - 1n;

/** A rate split as cost-sql.ts needs it: rate = a·10^12 + b1·10^6 + b0. */
function splitRate(rate: bigint): { a: bigint; b1: bigint; b0: bigint } {
  if (rate < 0n)
    throw storeError('STORE_BAD_EVENT', `a rate is negative (${rate}); rates are USD per 1M tokens ≥ 0`);
  const a = rate / E12;
  if (a > INT64_MAX)
    throw storeError('STORE_BAD_EVENT', `a rate is too large to store (${rate} at 18 digits)`);
  const rest = rate % E12;
  return { a, b1: rest / E6, b0: rest % E6 };
}

function rateKey(r: RateCard): string {
  return `${r.input}:${r.cache_read}:${r.cache_write_5m}:${r.cache_write_1h}:${r.output}:${r.web_search}:${r.input_audio}:${r.output_audio}:${r.input_image}:${r.output_image}:${r.audio_hour}`;
}

/**
 * Columns of rate_cards after rate_id, in order: each rate whole (for reading back, as the card holds it) and split
 * as cost-sql.ts prices with it: per million units, so the web search rate (per 1,000 searches) is split ×1000; the
 * rate per hour of audio is split as it is (cost-sql.ts rebuilds it whole for its own divisor).
 */
export const RATE_COLUMNS: readonly string[] = RATE_NAMES.flatMap((n) => [n, `${n}_a`, `${n}_b1`, `${n}_b0`]);

const perMillion = (n: RateName, rate: bigint) => (n === 'web_search' ? rate * SEARCH_RATE_TO_MILLION : rate);

function rateRow(r: RateCard): bigint[] {
  return RATE_NAMES.flatMap((n) => {
    const s = splitRate(perMillion(n, r[n]));
    return [r[n], s.a, s.b1, s.b0];
  });
}

/**
 * The rate cards the ledger holds, by key. Ids are assigned here, in memory, when a batch is encoded (possibly while
 * an earlier batch's transaction runs), and every card not yet in the file is written by the next transaction that
 * commits events (writeNewRateCards): a card whose batch rolled back stays handed out, and is written with a later
 * batch that may use it; one written and never used is harmless.
 */
export class RateCardRegistry {
  private readonly ids = new Map<string, number>();
  private readonly cards = new Map<number, RateCard>();
  /** Ids handed out whose row is not in the file yet (no transaction writing it has committed). */
  private readonly unwritten = new Set<number>();
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

  /** The id of `card`, handing out a new one (to be written: `unwrittenIds`) the first time. */
  idOf(card: RateCard): number {
    const seen = this.byObject.get(card);
    if (seen !== undefined) return seen;
    const key = rateKey(card);
    const known = this.ids.get(key);
    if (known !== undefined) {
      this.byObject.set(card, known);
      return known;
    }
    rateRow(card); // validates before the id is handed out
    const id = this.next++;
    this.ids.set(key, id);
    this.cards.set(id, card);
    this.byObject.set(card, id);
    this.unwritten.add(id);
    return id;
  }

  card(id: number): RateCard | undefined {
    return this.cards.get(id);
  }

  unwrittenIds(): number[] {
    return [...this.unwritten];
  }

  /** Once the transaction that wrote `ids` has committed. */
  markWritten(ids: readonly number[]): void {
    for (const id of ids) this.unwritten.delete(id);
  }
}

/**
 * Writes every card handed out but not yet in the file, inside the caller's transaction; returns their ids, for
 * `markWritten` once it commits.
 */
export async function writeNewRateCards(s: DuckDbSession, rates: RateCardRegistry): Promise<number[]> {
  const ids = rates.unwrittenIds();
  for (const id of ids) {
    const row = rateRow(rates.card(id)!);
    await s.run(
      'writing a rate card',
      `INSERT INTO rate_cards (rate_id, ${RATE_COLUMNS.join(', ')}) VALUES (?, ${row.map(() => '?::HUGEINT').join(', ')})`,
      [id, ...row],
    );
  }
  return ids;
}
