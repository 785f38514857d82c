import type { ExportTraceRequest, LongLike, Span } from '../../sources/otlp/otlp-types.js';
import { type Attrs, type AttrValue, MAX_VALUE_DEPTH, type PlainValue } from '../../sources/otlp/values.js';

/**
 * A hand-written reader for ExportTraceServiceRequest (opentelemetry-proto v1.5 field numbers, as in otlp-proto.ts),
 * the receiver's hot path. It builds the plain shape OTLP/JSON parses to, straight from the bytes: ids as hex
 * strings (one native hex slice, no Uint8Array and no per-byte concatenation), 64-bit times as `{low, high}`, ints
 * as numbers, and only the fields the mapping reads; everything else is skipped by wire type without allocating.
 * Attributes go straight into the map values.ts's attrs() makes of a KeyValue list, with no KeyValue or AnyValue
 * object per attribute (a span has ~10), and short strings are interned: together they took a quarter to a third
 * off decoding and mapping a span (bench/HISTORY.md, OTLP ingest, Fourteenth session).
 * protobufjs's generated decoder made objects with prototype defaults and Longs that the mapping then walked again,
 * which cost about as much as decoding. Malformed input throws, and the caller answers 400.
 */
class Reader {
  pos: number;
  /** End of the message being read: `within` narrows it to a sub-message and restores it after. */
  end: number;
  /** End of the last length-delimited field `field()` read. */
  fieldEnd = 0;
  constructor(
    readonly buf: Buffer,
    start: number,
    end: number,
  ) {
    this.pos = start;
    this.end = end;
  }

  varint(): number {
    // Up to 2^53 exactly; the fields read this way (lengths, tags, kinds, codes, ints) are well within it or rounded,
    // as protobufjs's Long → number conversion rounds.
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /**
   * int64 (two's complement; a negative value is a 10-byte varint) as a number, the way values.ts turns a protobufjs
   * Long into one: exact within ±2^53, rounded beyond.
   */
  int64(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) return (hi | 0) * 4294967296 + (lo >>> 0);
      shift += 7;
    }
    throw new Error('varint longer than 10 bytes');
  }

  fixed64(): LongLike {
    const low = this.buf.readUInt32LE(this.at(8));
    return { low, high: this.buf.readUInt32LE(this.pos - 4), unsigned: true };
  }

  double(): number {
    return this.buf.readDoubleLE(this.at(8));
  }

  /** Start of the next `n` bytes, moving past them. */
  at(n: number): number {
    const p = this.pos;
    if (p + n > this.end) throw new Error('field runs past the end of its message');
    this.pos = p + n;
    return p;
  }

  /** A length-delimited field: its start, moving past it; its end is left in `fieldEnd` (no array per field). */
  field(): number {
    const n = this.varint();
    const s = this.at(n);
    this.fieldEnd = s + n;
    return s;
  }

  /**
   * A string field, short ASCII ones interned: attribute keys and most values (operation, provider, model) repeat
   * span after span, and returning the string made last time skips a native call and an allocation per string.
   * The table keeps the last string per slot, so ids that never repeat only cost the hash.
   */
  text(): string {
    const s = this.field();
    const e = this.fieldEnd;
    const n = e - s;
    const buf = this.buf;
    if (n > INTERN_MAX) return buf.toString('utf8', s, e);
    let h = n;
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return buf.toString('utf8', s, e);
      h = (Math.imul(h, 31) + c) | 0;
    }
    const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
    const hit = interned[slot];
    if (hit !== undefined && hit.length === n) {
      let i = 0;
      while (i < n && hit.charCodeAt(i) === buf[s + i]) i++;
      if (i === n) return hit;
    }
    // ASCII: latin1 decodes it the same as UTF-8, without validating.
    const str = buf.toString('latin1', s, e);
    interned[slot] = str;
    return str;
  }

  hex(): string {
    const s = this.field();
    return this.buf.toString('hex', s, this.fieldEnd);
  }

  /**
   * Reads the next length-delimited sub-message with `read`, this reader narrowed to it: no Reader per
   * sub-message (a span's attributes alone made 18). `read` consumes the whole sub-message, as every reader here
   * loops until `pos` reaches `end`.
   */
  within<T>(read: (r: Reader) => T): T {
    const n = this.varint();
    const outer = this.end;
    if (this.pos + n > outer) throw new Error('field runs past the end of its message');
    this.end = this.pos + n;
    const v = read(this);
    this.pos = this.end;
    this.end = outer;
    return v;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.at(8);
    else if (wire === 2) this.field();
    else if (wire === 5) this.at(4);
    else if (wire === 3)
      // A (deprecated) group: skip to its end tag.
      for (let t = this.varint(); (t & 7) !== 4; t = this.varint()) this.skip(t & 7);
    else throw new Error(`wire type ${wire} is not valid protobuf here`);
  }
}

const INTERN_MAX = 64;
const INTERN_SLOTS = 4096;
const interned: (string | undefined)[] = new Array(INTERN_SLOTS);

export function readTraceRequest(body: Buffer): ExportTraceRequest {
  return { resourceSpans: repeated(new Reader(body, 0, body.length), 0x0a, resourceSpan) };
}

function resourceSpan(r: Reader) {
  let attributes: Attrs = new Map();
  const scopeSpans: { spans: Span[] }[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    // Resource: attributes = 1. A repeated resource field replaces the earlier one, as protobufjs decodes it.
    if (tag === 0x0a) attributes = r.within(keyValues);
    // ScopeSpans: spans = 2.
    else if (tag === 0x12) scopeSpans.push({ spans: r.within((ss) => repeated(ss, 0x12, span)) });
    else r.skip(tag & 7);
  }
  return { resource: { attributes }, scopeSpans };
}

function span(r: Reader): Span {
  // Absent fields read as protobufjs's defaults did: empty ids and name (the mapping's messages depend on them).
  // Every field is in the literal, so the object is made at its final shape: fields added later would each move it
  // to a new shape and grow a separate property store.
  const attributes: Attrs = new Map();
  const s: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: undefined,
    startTimeUnixNano: undefined,
    endTimeUnixNano: undefined,
    attributes,
    status: undefined,
  };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a:
        s.traceId = r.hex();
        break;
      case 0x12:
        s.spanId = r.hex();
        break;
      case 0x22:
        s.parentSpanId = r.hex();
        break;
      case 0x2a:
        s.name = r.text();
        break;
      case 0x30:
        s.kind = r.varint();
        break;
      case 0x39:
        s.startTimeUnixNano = r.fixed64();
        break;
      case 0x41:
        s.endTimeUnixNano = r.fixed64();
        break;
      case 0x4a:
        r.within((kv) => keyValueInto(kv, attributes));
        break;
      case 0x7a:
        s.status = r.within(status);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return s;
}

function status(r: Reader): { code?: number; message?: string } {
  const st: { code?: number; message?: string } = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x12) st.message = r.text();
    else if (tag === 0x18) st.code = r.varint();
    else r.skip(tag & 7);
  }
  return st;
}

function keyValues(r: Reader): Attrs {
  const m: Attrs = new Map();
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) r.within((kv) => keyValueInto(kv, m));
    else r.skip(tag & 7);
  }
  return m;
}

/**
 * One KeyValue straight into the attribute map, as values.ts's attrs() would flatten it: no KeyValue or AnyValue
 * object per attribute. A later key wins; an empty key, no value or a value attrs() drops (bytes, empty) is skipped.
 */
function keyValueInto(r: Reader, m: Attrs): void {
  let key = '';
  let value: AttrValue | null = null;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) key = r.text();
    else if (tag === 0x12) value = r.within(attrValue);
    else r.skip(tag & 7);
  }
  if (key !== '' && value !== null) m.set(key, value);
}

/** An AnyValue flattened as values.ts's anyValue() does (the last member sent wins, as protobufjs decodes it). */
function attrValue(r: Reader): AttrValue | null {
  const v = plainValue(r, 0);
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
}

/**
 * An AnyValue with its arrays and maps as JS arrays and objects, for attrValue to write out once, as values.ts's
 * plainValue does; nested past MAX_VALUE_DEPTH, skipped (null) without reading further down.
 */
function plainValue(r: Reader, depth: number): PlainValue {
  let v: PlainValue = null;
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a:
        v = r.text();
        break;
      case 0x10:
        v = r.varint() !== 0;
        break;
      case 0x18:
        v = r.int64();
        break;
      case 0x21: {
        // NaN is no value, as values.ts's anyValue() reads it.
        const d = r.double();
        v = Number.isNaN(d) ? null : d;
        break;
      }
      case 0x2a:
        if (depth >= MAX_VALUE_DEPTH) {
          r.field();
          v = null;
        } else v = r.within((l) => repeated(l, 0x0a, (e) => plainValue(e, depth + 1)));
        break;
      case 0x32:
        if (depth >= MAX_VALUE_DEPTH) {
          r.field();
          v = null;
        } else v = Object.fromEntries(r.within((l) => plainKeyValues(l, depth + 1)));
        break;
      case 0x3a:
        r.field();
        v = null;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return v;
}

/** A KeyValueList's entries as plainValue reads them; a later key wins, an empty key or null value is skipped. */
function plainKeyValues(r: Reader, depth: number): Map<string, PlainValue> {
  const m = new Map<string, PlainValue>();
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    r.within((kv) => {
      let key = '';
      let value: PlainValue = null;
      while (kv.pos < kv.end) {
        const t = kv.varint();
        if (t === 0x0a) key = kv.text();
        else if (t === 0x12) value = kv.within((x) => plainValue(x, depth));
        else kv.skip(t & 7);
      }
      if (key !== '' && value !== null) m.set(key, value);
    });
  }
  return m;
}

/** Every sub-message of the repeated field with tag `tag` in the rest of the message; other fields are skipped. */
function repeated<T>(r: Reader, tag: number, item: (r: Reader) => T): T[] {
  const out: T[] = [];
  while (r.pos < r.end) {
    const t = r.varint();
    if (t === tag) out.push(r.within(item));
    else r.skip(t & 7);
  }
  return out;
}
