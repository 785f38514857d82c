import { TOKEN_FIELDS, USAGE_FIELDS, type UsageEvent } from '../../ledger/event.js';
import { utcDay } from '../../ledger/time.js';
import { MONEY_MEASURES } from '../query.js';
import { ALL_ROLLUP_DIMENSIONS, COST_PARTS, ROLLUP_TABLES, type RollupTable } from './schema.js';
import { type EncodedBatch, groupNumbers } from './stage-encode.js';

/**
 * A batch's rows for each rollup's pending table, summed in JS: the rows stageRollupSql and stagedRollupDeltaSql
 * give (a test holds them equal), without their SQL. Those statements cost ~18 ms of CPU an append whatever its
 * size, nearly all of it DuckDB planning a 5 kB priced aggregate: ~40% of a 2,000-event append, which is what a
 * server taking 1,000 calls a second drains every two seconds.
 *
 * Grouped on the batch's dictionary codes (stage-encode.ts), as the SQL groups them: once on every rollup
 * dimension, then each rollup re-groups those groups. The money is summed from the events' cost parts, which the
 * store gives back exactly as handed (its round trip), so nothing is priced here.
 */
export type RollupRows = readonly PendingRows[];

/**
 * Rows for one rollup's pending table, column by column in its order (RollupTable.columns). Plain values only (a
 * TIMESTAMP column as epoch µs), so rows summed in a worker thread cross to the store's as they are.
 */
export interface PendingRows {
  rows: number;
  columns: (string | bigint | null)[][];
}

/**
 * Sums by group, column by column: `usage` in USAGE_FIELDS order, `money` in MONEY_MEASURES order (null where SQL's
 * sum is: every value null). `first` is an item of the group, whose dimension codes are the group's.
 */
interface Totals {
  size: number;
  first: Int32Array;
  events: Float64Array;
  usage: Float64Array[];
  money: (bigint | null)[][];
  unpricedEvents: Float64Array;
  unpricedTokens: Float64Array;
}

/**
 * The rows `events` (the batch `b` encodes, in its order) add to each rollup, in ROLLUP_TABLES order; null when a
 * token sum would leave the range a double holds exactly (the SQL path sums those in BIGINT and fails the batch
 * with DuckDB's own overflow error).
 */
export function rollupRows(b: EncodedBatch, events: readonly UsageEvent[]): RollupRows | null {
  const n = events.length;
  const ts = b.arrays.get('ts') as Float64Array;
  const day = new Int32Array(n);
  if (b.days.length > 1) {
    let last = Number.NaN;
    let index = 0;
    for (let i = 0; i < n; i++) {
      const d = utcDay(ts[i]!);
      if (d !== last) {
        last = d;
        index = b.days.indexOf(d);
      }
      day[i] = index;
    }
  }
  const codes = (dims: readonly string[]) =>
    dims.filter((d) => !b.constants.has(d)).map((d) => b.arrays.get(d) as Int32Array);
  const all = sumEvents(events, groupNumbers(n, [day, ...codes(ALL_ROLLUP_DIMENSIONS)]));
  const out: PendingRows[] = [];
  for (const t of ROLLUP_TABLES) {
    // The groups re-grouped on this rollup's dimensions, as SQL re-groups stage_rollup.
    const at = (a: Int32Array) => pick(a, all.first);
    const rows = sumGroups(all, groupNumbers(all.size, [at(day), ...codes(t.dimensions).map(at)]));
    for (const u of [...rows.usage, rows.unpricedTokens]) if (!allSafeIntegers(u)) return null;
    out.push(pendingRows(t, b, ts, rows));
  }
  return out;
}

/** A loop, where `every` with a callback boxes each double it passes (~2% of a batch's allocations). */
function allSafeIntegers(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isSafeInteger(a[i])) return false;
  return true;
}

/** `a` at each of `indexes`: a loop, where Int32Array.from with a mapping function walks an iterator (~2% of a batch). */
function pick(a: Int32Array, indexes: Int32Array): Int32Array {
  const out = new Int32Array(indexes.length);
  for (let i = 0; i < indexes.length; i++) out[i] = a[indexes[i]!]!;
  return out;
}

/** Sums as BIGINT column values: a loop, where Array.from with a mapping function walks an iterator. */
function ints(a: Float64Array): bigint[] {
  const out = new Array<bigint>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
  return out;
}

function emptyTotals(size: number): Totals {
  return {
    size,
    first: new Int32Array(size).fill(-1),
    events: new Float64Array(size),
    usage: USAGE_FIELDS.map(() => new Float64Array(size)),
    money: MONEY_MEASURES.map(() => new Array<bigint | null>(size).fill(null)),
    unpricedEvents: new Float64Array(size),
    unpricedTokens: new Float64Array(size),
  };
}

function sumEvents(events: readonly UsageEvent[], group: ReturnType<typeof groupNumbers>): Totals {
  const t = emptyTotals(group.size);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const g = group.of[i]!;
    if (t.first[g] === -1) t.first[g] = i;
    t.events[g]! += 1;
    for (let k = 0; k < USAGE_FIELDS.length; k++) t.usage[k]![g]! += e[USAGE_FIELDS[k]!];
    for (let k = 0; k < MONEY_MEASURES.length; k++) {
      const v = e[MONEY_MEASURES[k]!];
      // SQL's sum: NULLs skipped, NULL when every value is.
      if (v !== null) t.money[k]![g] = plus(t.money[k]![g]!, v);
    }
    if (e.cost_usd === null) {
      t.unpricedEvents[g]! += 1;
      for (const f of TOKEN_FIELDS) t.unpricedTokens[g]! += e[f];
    }
  }
  return t;
}

/** A sum so far (null: none yet) plus `v`; the first value is kept as it is, where `0n + v` would make a new bigint. */
const plus = (sum: bigint | null, v: bigint): bigint => (sum === null ? v : sum + v);

/** `from`'s groups summed into the groups `group` puts them in; `first` stays an item of `from`'s. */
function sumGroups(from: Totals, group: ReturnType<typeof groupNumbers>): Totals {
  const t = emptyTotals(group.size);
  for (let g = 0; g < from.size; g++) {
    const r = group.of[g]!;
    if (t.first[r] === -1) t.first[r] = from.first[g]!;
    t.events[r]! += from.events[g]!;
    for (let k = 0; k < t.usage.length; k++) t.usage[k]![r]! += from.usage[k]![g]!;
    for (let k = 0; k < t.money.length; k++) {
      const v = from.money[k]![g]!;
      if (v !== null) t.money[k]![r] = plus(t.money[k]![r]!, v);
    }
    t.unpricedEvents[r]! += from.unpricedEvents[g]!;
    t.unpricedTokens[r]! += from.unpricedTokens[g]!;
  }
  return t;
}

/** Rollup `t`'s pending rows from its totals: the day, each dimension decoded, the measures (schema.ts). */
function pendingRows(t: RollupTable, b: EncodedBatch, ts: Float64Array, sums: Totals): PendingRows {
  const firsts = Array.from(sums.first);
  const money = Object.fromEntries(MONEY_MEASURES.map((m, k) => [m, sums.money[k]!]));
  const column = (name: string): (string | bigint | null)[] => {
    if (name === 'day') return firsts.map((i) => BigInt(utcDay(ts[i]!)));
    if ((t.dimensions as readonly string[]).includes(name)) {
      if (b.constants.has(name)) return firsts.map(() => b.constants.get(name)!);
      const codes = b.arrays.get(name) as Int32Array;
      return firsts.map((i) => (codes[i] === 0 ? null : b.strings[codes[i]! - 1]!));
    }
    const usage = (USAGE_FIELDS as readonly string[]).indexOf(name);
    if (usage >= 0) return ints(sums.usage[usage]!);
    if (name === 'events') return ints(sums.events);
    if (name === 'unpriced_events') return ints(sums.unpricedEvents);
    if (name === 'unpriced_tokens') return ints(sums.unpricedTokens);
    if (name === 'billed_delta_usd' || name === 'billed_unpriced_delta') return firsts.map(() => 0n);
    if (name === 'cost_usd_extra') {
      const parts = COST_PARTS.map((p) => money[p]!);
      return money.cost_usd!.map((total, r) => {
        if (total === null) return null;
        let extra = total;
        for (const part of parts) extra -= part[r] ?? 0n;
        return extra;
      });
    }
    const part = money[name];
    if (part !== undefined) return part;
    throw new Error(`rollup column ${name} has no sum here (rollup-delta.ts)`);
  };
  return { rows: sums.size, columns: t.columns.map(([name]) => column(name)) };
}
