/**
 * Canonical JSONL lines decoded straight from their bytes, for the import worker. The text path turns each line into
 * a string, JSON.parse makes an object of it with a string per value, and fast-schema copies that object: ~6 µs a
 * line of ~1 KB, most of a canonical import's parsing. Here one pass over the bytes validates the JSON and each
 * field, and the strings a file repeats on every line (team, user, model, …) are looked up by their bytes, not made
 * again.
 *
 * It is a fast path and never judges: a line it is not sure of (an escape in a string, a key it does not know, a
 * value in an unusual form, a content-hashed id) is handed back, and the text path decides. What it accepts, the
 * text path accepts with the same event (decode-bytes.test.ts checks both on the same lines).
 */
import type { UnpricedEvent } from '../../ledger/event.js';
import { check, type Kind, kinds, UNSURE } from '../../ledger/fast-schema.js';
import type { CanonicalRecord } from '../../ledger/schema.js';
import { recordToEvent } from '../canonical.js';
import type { ParseContext } from '../source.js';

/** Canonical fields, in the order of `toRecord` below. */
const FIELDS = [...kinds.keys()];
const KIND_OF: Kind[] = FIELDS.map((f) => kinds.get(f)!);
const INDEX = new Map(FIELDS.map((f, i) => [f, i]));
const EVENT_ID = INDEX.get('event_id')!;
const TS = INDEX.get('ts')!;
const MODEL = INDEX.get('model')!;
const OUTPUT = INDEX.get('output_tokens')!;
const REASONING = INDEX.get('reasoning_tokens')!;
const INPUT = INDEX.get('input_tokens')!;
const INPUT_AUDIO = INDEX.get('input_audio_tokens')!;
const OUTPUT_AUDIO = INDEX.get('output_audio_tokens')!;
const INPUT_IMAGE = INDEX.get('input_image_tokens')!;
const OUTPUT_IMAGE = INDEX.get('output_image_tokens')!;
/** Which fields' strings are looked up by their bytes: not the ids and refs, which do not repeat. */
const INTERNED = FIELDS.map((f) => f !== 'event_id' && f !== 'source_ref');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** isoMicros: not a form it reads (parseTimestamp then judges). */
const DECLINE = -1;

/** Longer strings are made each time. */
const INTERN_MAX = 64;
const TABLE_BITS = 16;

/**
 * Strings by their bytes (ASCII only; others are made each time). Open addressing on an FNV-1a hash; once half
 * full it stops adding, so a file of unique values costs a lookup, not memory.
 */
class Interner {
  private readonly entries: (KeyBytes | undefined)[] = new Array(1 << TABLE_BITS);
  private readonly hashes = new Int32Array(1 << TABLE_BITS);
  private size = 0;

  /** The string of `b[start, end)` (ASCII, no quote or escape) with its words, or null when the table is full. */
  get(b: Buffer, view: DataView, start: number, end: number, hash: number): KeyBytes | null {
    const mask = (1 << TABLE_BITS) - 1;
    const len = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const e = this.entries[slot];
      if (e === undefined) {
        if (this.size >= 1 << (TABLE_BITS - 1)) return null;
        const made = new KeyBytes(b.toString('latin1', start, end));
        this.entries[slot] = made;
        this.hashes[slot] = hash;
        this.size++;
        return made;
      }
      if (this.hashes[slot] === hash && e.text.length === len && e.at(view, start)) return e;
    }
  }
}

/**
 * A key's or value's bytes as 32-bit words, so matching it against a line reads four bytes at a time: matching
 * ~40 keys a line byte by byte was a fifth of decoding.
 */
class KeyBytes {
  private readonly words: Int32Array;

  constructor(readonly text: string) {
    const bytes = Buffer.from(text, 'latin1');
    this.words = new Int32Array(text.length >> 2);
    for (let k = 0; k < this.words.length; k++) this.words[k] = bytes.readInt32LE(4 * k);
  }

  /** Whether the key's bytes are at `p` (which the caller has checked has text.length bytes after it). */
  at(view: DataView, p: number): boolean {
    const words = this.words;
    for (let k = 0; k < words.length; k++) if (view.getInt32(p + 4 * k, true) !== words[k]) return false;
    const text = this.text;
    for (let i = words.length * 4; i < text.length; i++)
      if (view.getUint8(p + i) !== text.charCodeAt(i)) return false;
    return true;
  }
}

/** JSON whitespace: space, tab, CR, LF. */
function skipWs(b: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    p++;
  }
  return p;
}

export class CanonicalByteDecoder {
  private readonly interner = new Interner();
  private readonly values: unknown[] = new Array(FIELDS.length);
  /** The line each field was last seen on, to refuse a repeated key (JSON.parse keeps the last; we hand it back). */
  private readonly seenOn = new Float64Array(FIELDS.length);
  private lines = 0;
  /** Key order of the last line, as field indexes with the key's bytes: most files keep one order throughout. */
  private orderKeys: KeyBytes[] = [];
  private orderFields: number[] = [];
  /** Each field's last string value (valid for its kind), if interned. */
  private readonly lastValue: (KeyBytes | undefined)[] = new Array(FIELDS.length);
  /** The interned entry of the string `string` last read, or null. */
  private found: KeyBytes | null = null;
  private viewOf: Buffer | null = null;
  private dataView: DataView | null = null;

  /** A DataView of `b` (one per chunk), for reading keys four bytes at a time. */
  private view(b: Buffer): DataView {
    if (b !== this.viewOf) {
      this.viewOf = b;
      this.dataView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.dataView!;
  }

  /** End of what the last reader (key, value, string, tags) read. */
  private at = 0;

  constructor(private readonly ctx: ParseContext) {}

  /**
   * The event of the line `b[start, end)` (valid UTF-8, without its newline), or null when the text path must
   * judge the line.
   */
  decode(b: Buffer, start: number, end: number, lineNo: number): UnpricedEvent | null {
    const line = ++this.lines;
    const values = this.values;
    values.fill(undefined);
    let p = skipWs(b, start, end);
    if (b[p] !== OPEN) return null;
    p = skipWs(b, p + 1, end);
    if (b[p] === CLOSE) return null;
    for (let i = 0; ; i++) {
      if (b[p] !== QUOTE) return null;
      const field = this.key(b, p + 1, end, i);
      if (field < 0 || this.seenOn[field] === line) return null;
      this.seenOn[field] = line;
      p = skipWs(b, this.at, end);
      if (b[p] !== COLON) return null;
      p = skipWs(b, p + 1, end);
      const v = this.value(field, b, p, end);
      if (v === UNSURE) return null;
      values[field] = v;
      p = skipWs(b, this.at, end);
      if (b[p] === COMMA) {
        p = skipWs(b, p + 1, end);
        continue;
      }
      if (b[p] !== CLOSE) return null;
      if (i + 1 < this.orderKeys.length) {
        this.orderKeys.length = i + 1;
        this.orderFields.length = i + 1;
      }
      break;
    }
    if (skipWs(b, p + 1, end) !== end) return null;
    if (values[TS] === undefined || values[MODEL] === undefined) return null;
    // A record without an id of its own is identified by its content (canonical.ts), which needs the parsed object.
    const id = values[EVENT_ID];
    if (typeof id !== 'string' || id === '') return null;
    // Parts larger than their whole: the text path says which.
    const n = (i: number) => (values[i] as number | undefined) ?? 0;
    if (n(REASONING) > n(OUTPUT)) return null;
    if (n(OUTPUT_AUDIO) + n(OUTPUT_IMAGE) > n(OUTPUT) || n(INPUT_AUDIO) + n(INPUT_IMAGE) > n(INPUT))
      return null;
    const r = toRecord(values);
    return recordToEvent(r, r, 'jsonl', `${this.ctx.path}:${lineNo}`, this.ctx);
  }

  /** The field index of the key starting after the quote at `p` (key number `i` of the line), or -1. */
  private key(b: Buffer, p: number, end: number, i: number): number {
    // The key the last line had here, if these bytes are it and its closing quote (it has no escapes).
    const known = this.orderKeys[i];
    if (known !== undefined && b[p + known.text.length] === QUOTE && known.at(this.view(b), p)) {
      this.at = p + known.text.length + 1;
      return this.orderFields[i]!;
    }
    const key = this.string(b, p, end, true);
    const field = key === null ? undefined : INDEX.get(key);
    if (field === undefined) return -1;
    this.orderKeys.length = i;
    this.orderFields.length = i;
    this.orderKeys.push(this.found ?? new KeyBytes(key!));
    this.orderFields.push(field);
    return field;
  }

  /** The value at `p` as fast-schema's `check` gives it for the field, or UNSURE; sets `at` past it. */
  private value(field: number, b: Buffer, p: number, end: number): unknown {
    const kind = KIND_OF[field]!;
    const c = b[p];
    if (c === QUOTE) {
      if (kind === 'text' || kind === 'model' || kind === 'stamp' || kind instanceof Set) {
        // Most fields repeat the value they had on the line before (the file's org, a session's user): one
        // comparison then, instead of hashing the bytes to look the string up.
        const last = this.lastValue[field];
        if (last !== undefined && b[p + 1 + last.text.length] === QUOTE && last.at(this.view(b), p + 1)) {
          this.at = p + 2 + last.text.length;
          return last.text;
        }
        const s = this.string(b, p + 1, end, INTERNED[field]!);
        if (s === null) return UNSURE;
        const v = kind === 'text' ? s : check(kind, s);
        if (v !== UNSURE && this.found !== null) this.lastValue[field] = this.found;
        return v;
      }
      const q = stringEnd(b, p + 1, end);
      if (q < 0) return UNSURE;
      this.at = q + 1;
      if (kind === 'ts') {
        const micros = this.isoMicros(b, p + 1, q);
        if (micros !== DECLINE) return micros;
      } else if (kind === 'money') {
        // Most events have some parts at zero, in the form ledgers write them.
        if (q - p - 1 === ZERO_USD.text.length && ZERO_USD.at(this.view(b), p + 1)) return 0n;
        const pico = plainMoney(b, p + 1, q);
        if (pico !== null) return pico;
      }
      return check(kind, b.toString('utf8', p + 1, q));
    }
    if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) {
      const q = numberEnd(b, p, end);
      if (q < 0) return UNSURE;
      this.at = q;
      return check(kind, numberAt(b, p, q));
    }
    if (c === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
      this.at = p + 4;
      return check(kind, null);
    }
    if (c === OPEN && kind === 'tags') return this.tags(b, p + 1, end);
    return UNSURE;
  }

  /**
   * Epoch µs of an ISO timestamp in the form exports write (`2026-11-03T10:04:39.127196Z`, or without the zone, or
   * with ±HH:MM), as parseTimestamp gives it; DECLINE for any other form, which parseTimestamp then reads. The
   * day's Date.UTC is kept: a file's events mostly fall on the day of the one before.
   */
  private isoMicros(b: Buffer, p: number, q: number): number {
    if (q - p < 19 || b[p + 4] !== MINUS || b[p + 7] !== MINUS || b[p + 10] !== 0x54) return DECLINE;
    if (b[p + 13] !== COLON || b[p + 16] !== COLON) return DECLINE;
    const y = digits(b, p, 4);
    const mo = digits(b, p + 5, 2);
    const d = digits(b, p + 8, 2);
    const h = digits(b, p + 11, 2);
    const mi = digits(b, p + 14, 2);
    const s = digits(b, p + 17, 2);
    // Out-of-range parts, and leap seconds, are parseTimestamp's to judge.
    if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > 31) return DECLINE;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return DECLINE;
    let i = p + 19;
    let micros = 0;
    if (b[i] === DOT) {
      const from = ++i;
      while (i < q && b[i]! >= ZERO && b[i]! <= NINE) i++;
      const n = i - from;
      if (n < 1 || n > 9) return DECLINE;
      // The first six digits, truncated, as parseTimestamp does.
      micros = digits(b, from, Math.min(n, 6)) * 10 ** Math.max(0, 6 - n);
    }
    let zoneMinutes = 0;
    if (i < q) {
      const z = b[i]!;
      if (z === 0x5a && i + 1 === q) zoneMinutes = 0;
      else if ((z === 0x2b || z === MINUS) && i + 6 === q && b[i + 3] === COLON) {
        const zh = digits(b, i + 1, 2);
        const zm = digits(b, i + 4, 2);
        if (zh < 0 || zm < 0) return DECLINE;
        zoneMinutes = (z === MINUS ? -1 : 1) * (zh * 60 + zm);
      } else return DECLINE;
    }
    const day = y * 10000 + mo * 100 + d;
    if (day !== this.lastDay) {
      const dayMs = Date.UTC(y, mo - 1, d);
      // A day the month lacks (2026-02-30), which Date.UTC rolls into the next month, is parseTimestamp's to reject.
      if (new Date(dayMs).getUTCDate() !== d) return DECLINE;
      this.lastDay = day;
      this.lastDayMs = dayMs;
    }
    const ms = this.lastDayMs + h * 3_600_000 + mi * 60_000 + s * 1000;
    return (ms - zoneMinutes * 60_000) * 1000 + micros;
  }

  private lastDay = -1;
  private lastDayMs = 0;

  /** The string starting at `p` (after its quote), looked up when short and ASCII; null when it needs JSON.parse. */
  private string(b: Buffer, p: number, end: number, intern: boolean): string | null {
    let hash = 0x811c9dc5 | 0;
    let ascii = true;
    let q = p;
    for (; q < end; q++) {
      const c = b[q]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20) return null;
      if (c >= 0x80) ascii = false;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    if (q >= end) return null;
    this.at = q + 1;
    this.found = null;
    if (!ascii) return b.toString('utf8', p, q);
    if (!intern || q - p > INTERN_MAX) return b.toString('latin1', p, q);
    this.found = this.interner.get(b, this.view(b), p, q, hash);
    return this.found === null ? b.toString('latin1', p, q) : this.found.text;
  }

  /** A tags object from after its `{`: string, number and boolean values, as strings. */
  private tags(b: Buffer, p: number, end: number): unknown {
    const out: Record<string, string> = {};
    p = skipWs(b, p, end);
    if (b[p] === CLOSE) {
      this.at = p + 1;
      return out;
    }
    for (;;) {
      if (b[p] !== QUOTE) return UNSURE;
      const k = this.string(b, p + 1, end, true);
      // A repeated key keeps its first place in JSON.parse's object; __proto__ is an own key there, not here.
      if (k === null || k === '__proto__' || k in out) return UNSURE;
      p = skipWs(b, this.at, end);
      if (b[p] !== COLON) return UNSURE;
      p = skipWs(b, p + 1, end);
      const c = b[p];
      if (c === QUOTE) {
        const v = this.string(b, p + 1, end, true);
        if (v === null) return UNSURE;
        out[k] = v;
        p = this.at;
      } else if (c === 0x74 && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
        out[k] = 'true';
        p += 4;
      } else if (c === 0x66 && b.toString('latin1', p, p + 5) === 'false') {
        out[k] = 'false';
        p += 5;
      } else {
        const q = numberEnd(b, p, end);
        if (q < 0) return UNSURE;
        out[k] = String(numberAt(b, p, q));
        p = q;
      }
      p = skipWs(b, p, end);
      if (b[p] === CLOSE) {
        this.at = p + 1;
        return out;
      }
      if (b[p] !== COMMA) return UNSURE;
      p = skipWs(b, p + 1, end);
    }
  }
}

/** Index of the closing quote of a string starting at `p`, or -1 if it has an escape or a control character. */
function stringEnd(b: Buffer, p: number, end: number): number {
  for (let q = p; q < end; q++) {
    const c = b[q]!;
    if (c === QUOTE) return q;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** The end of the JSON number starting at `p` (`-? (0 | [1-9]\d*) (.\d+)? ([eE][+-]?\d+)?`), or -1. */
function numberEnd(b: Buffer, p: number, end: number): number {
  let i = p;
  if (b[i] === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
  else return -1;
  if (b[i] === DOT) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === MINUS) i++;
    if (!isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

/**
 * The value of the JSON number `b[p, q)`, as JSON.parse gives it. Digits alone, or followed by `.0…`, are read by
 * hand (up to 15 digits, so every step is an exact integer); anything else goes through Number().
 */
function numberAt(b: Buffer, p: number, q: number): number {
  let v = 0;
  let i = p;
  for (; i < q && i - p < 15; i++) {
    const c = b[i]!;
    if (c < ZERO || c > NINE) break;
    v = v * 10 + (c - ZERO);
  }
  if (i === q) return v;
  if (b[i] === DOT && i > p) {
    let j = i + 1;
    while (j < q && b[j] === ZERO) j++;
    if (j === q) return v;
  }
  return Number(b.toString('latin1', p, q));
}

/** `n` ASCII digits at `p` as a number, or -1 if one is not a digit. */
function digits(b: Buffer, p: number, n: number): number {
  let v = 0;
  for (let i = p; i < p + n; i++) {
    const c = b[i]!;
    if (c < ZERO || c > NINE) return -1;
    v = v * 10 + (c - ZERO);
  }
  return v;
}

/**
 * Pico-dollars of a money string in the form ledgers write (`-?\d+\.\d{1,12}`) with at most three whole digits,
 * as parseDecimal gives them; null for any other form, which parseDecimal then reads. Fifteen digits at most, so
 * the integer is built exactly in a number before it becomes a bigint: no fraction is ever held in a float.
 */
function plainMoney(b: Buffer, p: number, q: number): bigint | null {
  let i = p;
  const negative = b[i] === MINUS;
  if (negative) i++;
  let v = 0;
  const wholeFrom = i;
  while (i < q && isDigit(b[i])) v = v * 10 + (b[i++]! - ZERO);
  const whole = i - wholeFrom;
  if (whole < 1 || whole > 3 || b[i] !== DOT) return null;
  const fracFrom = ++i;
  while (i < q && isDigit(b[i])) v = v * 10 + (b[i++]! - ZERO);
  const frac = i - fracFrom;
  if (i !== q || frac < 1 || frac > 12) return null;
  const pico = BigInt(v * 10 ** (12 - frac));
  return negative ? -pico : pico;
}

/**
 * The decoded values as a record of one shape (absent fields undefined, which recordToEvent reads as absent): a
 * literal, so V8 builds it with one hidden class instead of a keyed store per field.
 */
function toRecord(v: unknown[]): CanonicalRecord {
  return {
    event_id: v[0],
    source: v[1],
    source_ref: v[2],
    org: v[3],
    team: v[4],
    user: v[5],
    project: v[6],
    agent: v[7],
    session_id: v[8],
    task_id: v[9],
    environment: v[10],
    api_key_id: v[11],
    provider: v[12],
    model_requested: v[13],
    operation: v[14],
    service_tier: v[15],
    route_id: v[16],
    price_version: v[17],
    error_type: v[18],
    requests: v[19],
    input_tokens: v[20],
    cache_read_tokens: v[21],
    cache_write_5m_tokens: v[22],
    cache_write_1h_tokens: v[23],
    output_tokens: v[24],
    reasoning_tokens: v[25],
    web_search_requests: v[26],
    input_audio_tokens: v[27],
    output_audio_tokens: v[28],
    input_image_tokens: v[29],
    output_image_tokens: v[30],
    audio_ms: v[31],
    cost_usd: v[32],
    cost_input: v[33],
    cost_cache_read: v[34],
    cost_cache_write: v[35],
    cost_output: v[36],
    provider_cost_usd: v[37],
    duration_ms: v[38],
    ttft_ms: v[39],
    energy_j: v[40],
    ts: v[41],
    model: v[42],
    tags: v[43],
    ingested_at: v[44],
    cost_source: v[45],
    energy_source: v[46],
    status: v[47],
  } as CanonicalRecord;
}

// toRecord's positions are FIELDS' order; a field added to fast-schema's table must be added there too.
if (Object.keys(toRecord([])).join() !== FIELDS.join())
  throw new Error('decode-bytes: toRecord is out of date');

const ZERO_USD = new KeyBytes('0.000000000000');
