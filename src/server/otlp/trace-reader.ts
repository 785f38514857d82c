import type {
  AnyValue,
  ExportTraceRequest,
  KeyValue,
  LongLike,
  Span,
} from '../../sources/otlp/otlp-types.js';

/**
 * A hand-written reader for ExportTraceServiceRequest (opentelemetry-proto v1.5 field numbers, as in otlp-proto.ts),
 * the receiver's hot path. It builds the plain shape OTLP/JSON parses to, straight from the bytes: ids as hex
 * strings (one native hex slice, no Uint8Array and no per-byte concatenation), 64-bit times as `{low, high}`, ints
 * as numbers, and only the fields the mapping reads; everything else is skipped by wire type without allocating.
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

  string(): string {
    const s = this.field();
    return this.buf.toString('utf8', s, this.fieldEnd);
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

export function readTraceRequest(body: Buffer): ExportTraceRequest {
  return { resourceSpans: repeated(new Reader(body, 0, body.length), 0x0a, resourceSpan) };
}

function resourceSpan(r: Reader) {
  let attributes: KeyValue[] = [];
  const scopeSpans: { spans: Span[] }[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    // Resource: attributes = 1. A repeated resource field replaces the earlier one, as protobufjs decodes it.
    if (tag === 0x0a) attributes = r.within((res) => repeated(res, 0x0a, keyValue));
    // ScopeSpans: spans = 2.
    else if (tag === 0x12) scopeSpans.push({ spans: r.within((ss) => repeated(ss, 0x12, span)) });
    else r.skip(tag & 7);
  }
  return { resource: { attributes }, scopeSpans };
}

function span(r: Reader): Span {
  // Absent fields read as protobufjs's defaults did: empty ids and name (the mapping's messages depend on them).
  const s: Span = { traceId: '', spanId: '', parentSpanId: '', name: '', attributes: [] };
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
        s.name = r.string();
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
        s.attributes!.push(r.within(keyValue));
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
    if (tag === 0x12) st.message = r.string();
    else if (tag === 0x18) st.code = r.varint();
    else r.skip(tag & 7);
  }
  return st;
}

function keyValue(r: Reader): KeyValue {
  const kv: KeyValue = { key: '' };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) kv.key = r.string();
    else if (tag === 0x12) kv.value = r.within(anyValue);
    else r.skip(tag & 7);
  }
  return kv;
}

/** Only the member that was sent is an own key, which is how values.ts tells which one it is. */
function anyValue(r: Reader): AnyValue {
  let v: AnyValue = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a:
        v = { stringValue: r.string() };
        break;
      case 0x10:
        v = { boolValue: r.varint() !== 0 };
        break;
      case 0x18:
        v = { intValue: r.int64() };
        break;
      case 0x21:
        v = { doubleValue: r.double() };
        break;
      case 0x2a:
        v = { arrayValue: { values: r.within((l) => repeated(l, 0x0a, anyValue)) } };
        break;
      case 0x32:
        v = { kvlistValue: { values: r.within((l) => repeated(l, 0x0a, keyValue)) } };
        break;
      case 0x3a: {
        const s = r.field();
        v = { bytesValue: r.buf.subarray(s, r.fieldEnd) };
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return v;
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
