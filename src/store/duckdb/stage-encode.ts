import { endianness } from 'node:os';
import { COST_SOURCES, ENERGY_SOURCES, STATUSES, USAGE_FIELDS, type UsageEvent } from '../../ledger/event.js';
import { idHalf } from '../../ledger/event-id.js';
import { utcDay } from '../../ledger/time.js';
import { storeError } from '../errors.js';
import { batchFields } from './batch-fields.js';
import { type CardsChecked, costStorage } from './cost-storage.js';
import type { RateCardRegistry } from './rate-cards.js';
import { type BatchFields, CONTEXT_STAGED, type FieldArrays, STAGE_COLUMNS } from './stage-columns.js';

/**
 * A batch of events as staging columns, worked out in JS before anything touches DuckDB: one typed array per
 * column, a dictionary of the batch's distinct strings, the columns whose value is the same for every event (they
 * are bound once, not staged), and each event's batch context number.
 */
export interface EncodedBatch {
  rows: number;
  /** Column arrays by staged column name (code/i32 Int32Array, u32 Uint32Array, i64 BigInt64Array, f64 Float64Array). */
  arrays: ReadonlyMap<string, Int32Array | Uint32Array | BigInt64Array | Float64Array>;
  /** Dictionary strings; code c stands for strings[c - 1], code 0 for NULL. */
  strings: readonly string[];
  constants: BatchConstants;
  minTs: number;
  maxTs: number;
  /** The UTC days (µs at midnight) the batch's events fall in, ascending. */
  days: number[];
  /** Distinct contexts in the batch (ctx runs 1..contexts, in order of first appearance). */
  contexts: number;
  /**
   * Whether some event counts audio or image tokens or audio_ms. A batch without prices its rollup rows without their
   * terms (rollup.ts stageRollupSql): they make the SQL longer to plan, most of what a small append costs.
   */
  splitParts: boolean;
}

/**
 * Dictionary columns whose value is the same for the whole batch (null or not), by column name. Most columns of a
 * batch are (org, environment, cost_source, price_version, every unused field): they are bound as one value instead
 * of being staged and decoded row by row.
 */
export type BatchConstants = ReadonlyMap<string, string | null>;

const LITTLE_ENDIAN = endianness() === 'LE';
const TWO_32 = 4294967296;
const UNSET = {};

const whereIs = (e: UsageEvent, i: number) =>
  `event ${i} of the batch (event_id ${JSON.stringify(e.event_id)}, source_ref ${JSON.stringify(e.source_ref)})`;

/**
 * Validates every event (STORE_BAD_EVENT, naming the first bad one) and works out its id halves, rate card and given
 * cost parts, from the batch's field arrays.
 */
function prepare(
  events: readonly UsageEvent[],
  f: FieldArrays,
  rates: RateCardRegistry,
  cardsChecked: CardsChecked,
): BatchFields {
  const n = events.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const rateId = new Int32Array(n);
  const given = new Array<UsageEvent | null>(n);
  const usage = USAGE_FIELDS.map((u) => f[u]);
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const id = f.event_id[i]!;
    const high = typeof id === 'string' ? idHalf(id, 0) : -1;
    const low = typeof id === 'string' ? idHalf(id, 8) : -1;
    if (high < 0 || low < 0) {
      throw storeError(
        'STORE_BAD_EVENT',
        `${whereIs(e, i)}: event_id must be 16 lowercase hex digits (ledger/event-id.ts)`,
      );
    }
    if (!Number.isSafeInteger(f.ts[i]) || !Number.isSafeInteger(f.ingested_at[i])) {
      throw storeError(
        'STORE_BAD_EVENT',
        `${whereIs(e, i)}: ts and ingested_at must be integer epoch microseconds`,
      );
    }
    // Indexed, not `for (const [name, values] of …)`: destructuring seven pairs per event showed in profiles.
    for (let k = 0; k < usage.length; k++) {
      const v = usage[k]![i]!;
      if (!Number.isSafeInteger(v) || v < 0) {
        throw storeError(
          'STORE_BAD_EVENT',
          `${whereIs(e, i)}: ${USAGE_FIELDS[k]} must be a non-negative integer (got ${v})`,
        );
      }
    }
    // Audio and image tokens are parts of input and output (ledger/event.ts): more than the whole would price a
    // negative rest.
    if (
      f.input_audio_tokens[i]! + f.input_image_tokens[i]! > f.input_tokens[i]! ||
      f.output_audio_tokens[i]! + f.output_image_tokens[i]! > f.output_tokens[i]!
    ) {
      throw storeError(
        'STORE_BAD_EVENT',
        `${whereIs(e, i)}: audio and image tokens are parts of input_tokens and output_tokens (input_audio_tokens + input_image_tokens of input_tokens, output_audio_tokens + output_image_tokens of output_tokens), so they cannot exceed it`,
      );
    }
    if (!STATUSES.includes(f.status[i]!) || !COST_SOURCES.includes(f.cost_source[i]!)) {
      throw storeError(
        'STORE_BAD_EVENT',
        `${whereIs(e, i)}: status must be one of ${STATUSES.join(', ')} and cost_source one of ${COST_SOURCES.join(', ')}`,
      );
    }
    const energy = f.energy_source[i]!;
    if (energy !== null && !ENERGY_SOURCES.includes(energy)) {
      throw storeError(
        'STORE_BAD_EVENT',
        `${whereIs(e, i)}: energy_source must be null or one of ${ENERGY_SOURCES.join(', ')}`,
      );
    }
    const c = costStorage(e, rates, cardsChecked);
    rateId[i] = c.rateId;
    given[i] = c.given;
    hi[i] = high;
    lo[i] = low;
  }
  return { field: f, hi, lo, rateId, given };
}

/** Validates `events` (STORE_BAD_EVENT) and encodes them column by column. */
export function encodeBatch(
  events: readonly UsageEvent[],
  rates: RateCardRegistry,
  cardsChecked: CardsChecked = false,
): EncodedBatch {
  const n = events.length;
  const b = prepare(events, batchFields(events), rates, cardsChecked);
  const codes = new Map<string, number>();
  const strings: string[] = [];
  const arrays = new Map<string, Int32Array | Uint32Array | BigInt64Array | Float64Array>();
  const constants = new Map<string, string | null>();
  for (const col of STAGE_COLUMNS) {
    if (col.unstaged || col.name === 'ctx' || col.name === 'source_ref_line') continue;
    const values = col.values(b);
    if (col.ref) {
      const { codes: a, lines } = encodeRefs(values as ArrayLike<string | null>, codes, strings);
      arrays.set(col.name, a);
      arrays.set('source_ref_line', lines);
    } else if (col.kind === 'code') {
      const a = new Int32Array(n);
      // Consecutive events mostly repeat a column's value: comparing with the last one skips the dictionary lookup.
      let last: unknown = UNSET;
      let lastCode = 0;
      let same = true;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== last) {
          last = v;
          if (v === null || v === undefined) lastCode = 0;
          else lastCode = dictionaryCode(typeof v === 'string' ? v : String(v), codes, strings);
        }
        a[i] = lastCode;
        if (same && lastCode !== a[0]) same = false;
      }
      if (same && n > 0) constants.set(col.name, a[0] === 0 ? null : strings[a[0]! - 1]!);
      arrays.set(col.name, a);
    } else if (col.kind === 'i64') {
      const a = new BigInt64Array(n);
      const v = values as ArrayLike<number>;
      if (LITTLE_ENDIAN) {
        // Two 32-bit halves of each value (a validated non-negative safe integer): no BigInt per value.
        const halves = new Int32Array(a.buffer);
        for (let i = 0; i < n; i++) {
          halves[2 * i] = v[i]! % TWO_32;
          halves[2 * i + 1] = Math.floor(v[i]! / TWO_32);
        }
      } else for (let i = 0; i < n; i++) a[i] = BigInt(v[i]!);
      arrays.set(col.name, a);
    } else if (col.kind === 'f64') {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        a[i] = v === null || v === undefined ? Number.NaN : (v as number);
      }
      arrays.set(col.name, a);
    } else arrays.set(col.name, values as Int32Array | Uint32Array);
  }
  const { ctx, count } = contextNumbers(n, arrays, constants);
  arrays.set('ctx', ctx);
  const ts = arrays.get('ts') as Float64Array;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  const days = new Set<number>();
  let lastDay = Number.NaN;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (t < minTs) minTs = t;
    if (t > maxTs) maxTs = t;
    const day = utcDay(t);
    if (day !== lastDay) {
      lastDay = day;
      days.add(day);
    }
  }
  return {
    rows: n,
    arrays,
    strings,
    constants,
    minTs,
    maxTs,
    days: [...days].sort((a, b) => a - b),
    contexts: count,
    splitParts: [
      b.field.input_audio_tokens,
      b.field.output_audio_tokens,
      b.field.input_image_tokens,
      b.field.output_image_tokens,
      b.field.audio_ms,
    ].some(anyCounted),
  };
}

const anyCounted = (counts: readonly number[]): boolean => counts.some((n) => n > 0);

/** The batch dictionary's code for `s` (code c stands for strings[c - 1]), adding `s` if it is new. */
function dictionaryCode(s: string, codes: Map<string, number>, strings: string[]): number {
  let c = codes.get(s);
  if (c === undefined) {
    c = strings.push(s);
    codes.set(s, c);
  }
  return c;
}

/**
 * source_ref values as dictionary codes with line numbers (StageColumn.ref): `PREFIX:LINE`, with LINE written as
 * JS writes a non-negative integer below 10^9, is the code of PREFIX and LINE; anything else is its own code and -1.
 * Consecutive refs nearly always share their prefix (one file's lines), checked without slicing.
 */
function encodeRefs(
  values: ArrayLike<string | null>,
  codes: Map<string, number>,
  strings: string[],
): { codes: Int32Array; lines: Int32Array } {
  const n = values.length;
  const out = new Int32Array(n);
  const lines = new Int32Array(n);
  let prefix: string | null = null;
  let prefixCode = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      lines[i] = -1;
      continue;
    }
    const colon = v.lastIndexOf(':');
    const line = colon < 0 ? -1 : lineNumber(v, colon + 1);
    if (line < 0) {
      out[i] = dictionaryCode(v, codes, strings);
      lines[i] = -1;
      continue;
    }
    if (prefix === null || colon !== prefix.length || !v.startsWith(prefix)) {
      prefix = v.slice(0, colon);
      prefixCode = dictionaryCode(prefix, codes, strings);
    }
    out[i] = prefixCode;
    lines[i] = line;
  }
  return { codes: out, lines };
}

/** The number `v.slice(from)` spells as String(number) would (no sign, no leading zero, < 10^9), or -1. */
function lineNumber(v: string, from: number): number {
  const digits = v.length - from;
  if (digits < 1 || digits > 9 || (digits > 1 && v.charCodeAt(from) === 48)) return -1;
  let n = 0;
  for (let i = from; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Each event's batch context number (1-based, in order of first appearance), from the staged values of its context
 * columns. Equal numbers decode to equal contexts.
 */
function contextNumbers(
  n: number,
  arrays: ReadonlyMap<string, ArrayLike<number> | BigInt64Array>,
  constants: BatchConstants,
): { ctx: Int32Array; count: number } {
  const varying = CONTEXT_STAGED.filter((c) => !constants.has(c.name)).map(
    (c) => arrays.get(c.name) as Int32Array,
  );
  const { of, size } = groupNumbers(n, varying);
  for (let i = 0; i < n; i++) of[i] = of[i]! + 1;
  return { ctx: of, count: size };
}

/**
 * Group numbers 0, 1, … (in order of first appearance) for `n` items on the codes in `columns`: the groups are
 * refined one column at a time on numeric (group, code) pairs, which allocates no per-item string.
 */
export function groupNumbers(n: number, columns: readonly Int32Array[]): { of: Int32Array; size: number } {
  let group = new Int32Array(n);
  let size = n > 0 ? 1 : 0;
  const pairs = new PairIds(n);
  for (const values of columns) {
    pairs.clear();
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      // Consecutive items mostly share their group (a session's calls are adjacent): no lookup then.
      if (i > 0 && values[i] === values[i - 1] && group[i] === group[i - 1]) next[i] = next[i - 1]!;
      else next[i] = pairs.idOf(group[i]!, values[i]!);
    }
    group = next;
    size = pairs.size;
  }
  return { of: group, size };
}

/**
 * Ids 0, 1, … for distinct pairs of non-negative int32s, in order of first appearance: an open-addressing table in
 * typed arrays, for at most `capacity` pairs. A Map on a numeric key made of the pair cost ~40 ns a lookup.
 */
export class PairIds {
  private readonly firsts: Int32Array;
  private readonly seconds: Int32Array;
  private readonly ids: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  size = 0;

  constructor(capacity: number) {
    let bits = 4;
    while (1 << bits < 2 * capacity) bits++;
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.firsts = new Int32Array(1 << bits).fill(-1);
    this.seconds = new Int32Array(1 << bits);
    this.ids = new Int32Array(1 << bits);
  }

  clear(): void {
    this.firsts.fill(-1);
    this.size = 0;
  }

  idOf(a: number, b: number): number {
    // Fibonacci hashing: the high bits of the product, which depend on every bit of the pair.
    let slot = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
    for (; ; slot = (slot + 1) & this.mask) {
      const first = this.firsts[slot]!;
      if (first === -1) {
        this.firsts[slot] = a;
        this.seconds[slot] = b;
        this.ids[slot] = this.size;
        return this.size++;
      }
      if (first === a && this.seconds[slot] === b) return this.ids[slot]!;
    }
  }
}
