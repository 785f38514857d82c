import { parseUsd } from '../../money/money.js';
import type { AnyValue, Attributes, Id, Int64 } from './otlp-types.js';

/** Attribute values flattened to what the mappings read; arrays and maps are kept as JSON text. */
export type AttrValue = string | number | boolean;
export type Attrs = Map<string, AttrValue>;

const EMPTY: Attrs = new Map();

/**
 * KeyValue list → map. Later keys win, as in the SDKs. Int64 beyond 2^53 becomes a (rounded) number. A map (the
 * protobuf trace reader's) is already this.
 */
export function attrs(kvs: Attributes | null | undefined): Attrs {
  if (kvs instanceof Map) return kvs;
  if (!Array.isArray(kvs) || kvs.length === 0) return EMPTY;
  const m: Attrs = new Map();
  for (const kv of kvs) {
    if (!kv.key || !kv.value) continue;
    const v = anyValue(kv.value);
    if (v !== null) m.set(kv.key, v);
  }
  return m;
}

/**
 * How deep arrays and maps nest in an attribute value before the rest is cut off (null): no instrumentation nests
 * near this, and a body that does cannot overflow the stack.
 */
export const MAX_VALUE_DEPTH = 32;

/** A nested array or map of an attribute value, before it is written out as JSON text once. */
export type PlainValue = AttrValue | null | PlainValue[] | { [key: string]: PlainValue };

/**
 * protobufjs puts every field's default on the prototype (stringValue "", boolValue false), so which member of the
 * `value` oneof is set is read from the object's own keys, which also works for OTLP/JSON. Arrays and maps become
 * JSON text, written once for the whole value: inner ones are not JSON text inside JSON text, which escaped every
 * quote again at each level (a value 30 levels deep took gigabytes).
 */
export function anyValue(v: AnyValue): AttrValue | null {
  const p = plainValue(v, 0);
  return p !== null && typeof p === 'object' ? JSON.stringify(p) : p;
}

function plainValue(v: AnyValue, depth: number): PlainValue {
  // The first own key, as Object.keys(v)[0] would give, without building the array: own keys enumerate first.
  let key: string | undefined;
  for (const k in v) {
    if (Object.hasOwn(v, k)) key = k;
    break;
  }
  switch (key) {
    case 'stringValue':
      return v.stringValue ?? null;
    // A number that is not one is no value, as a null string or bool is: the JS SDKs' NaN (the Vercel AI SDK's
    // token count when the provider reported no usage) comes as a NaN double over protobuf and as null, or the
    // string "NaN", over JSON. Read as absent, the same span means the same thing over every encoding.
    case 'intValue':
      return v.intValue == null ? null : int64(v.intValue);
    case 'doubleValue': {
      const d = v.doubleValue == null ? Number.NaN : Number(v.doubleValue);
      return Number.isNaN(d) ? null : d;
    }
    case 'boolValue':
      return v.boolValue ?? null;
    case 'arrayValue':
      if (depth >= MAX_VALUE_DEPTH) return null;
      return (v.arrayValue?.values ?? []).map((e) => plainValue(e, depth + 1));
    case 'kvlistValue': {
      if (depth >= MAX_VALUE_DEPTH) return null;
      // Later keys win, as in attrs(); through a Map, so a key such as __proto__ is a key like any other.
      const m = new Map<string, PlainValue>();
      for (const kv of v.kvlistValue?.values ?? []) {
        if (!kv.key || !kv.value) continue;
        const e = plainValue(kv.value, depth + 1);
        if (e !== null) m.set(kv.key, e);
      }
      return Object.fromEntries(m);
    }
    default:
      return null;
  }
}

/** A protobuf Long, decimal string or number → number (exact below 2^53). */
export function int64(v: Int64): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  const lo = v.low >>> 0;
  const hi = v.unsigned ? v.high >>> 0 : v.high | 0;
  return hi * 4294967296 + lo;
}

/** 2^64 nanoseconds in microseconds: no fixed64 time reaches it. */
const MAX_FIXED64_MICROS = 2 ** 64 / 1000;

/**
 * Unix nanoseconds → epoch microseconds, exactly: nanoseconds today exceed 2^53, so a Long is split with
 * 2^32 = 4,294,967 × 1000 + 296 and a decimal string drops its last three digits. Null when absent or zero, or
 * (OTLP/JSON) when it is not a fixed64: not a whole number, or 2^64 or more.
 */
export function nanosToMicros(v: Int64): number | null {
  if (v == null) return null;
  if (typeof v === 'number') {
    const us = Math.floor(v / 1000);
    return us > 0 && us <= MAX_FIXED64_MICROS ? us : null;
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (!/^\d{1,20}$/.test(s) || (s.length === 20 && s > '18446744073709551615')) return null;
    const us = s.length > 3 ? Number(s.slice(0, -3)) : 0;
    return us > 0 ? us : null;
  }
  const lo = v.low >>> 0;
  const hi = v.high >>> 0;
  const us = hi * 4294967 + Math.floor((hi * 296 + lo) / 1000);
  return us > 0 ? us : null;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A trace or span id as lowercase hex; OTLP/JSON already sends hex. Empty or all-zero ids are absent. */
export function hexId(id: Id): string | null {
  if (id == null) return null;
  let s: string;
  if (typeof id === 'string') s = id.toLowerCase();
  else {
    s = '';
    for (let i = 0; i < id.length; i++) s += HEX[id[i]!];
  }
  return s === '' || /^0+$/.test(s) ? null : s;
}

export function str(a: Attrs, key: string): string | null {
  const v = a.get(key);
  if (v === undefined || v === '') return null;
  return typeof v === 'string' ? v : String(v);
}

/** First present key. */
export function strOf(a: Attrs, ...keys: string[]): string | null {
  return firstStr(a, keys);
}

/** strOf for a list of keys made once, with no rest array per call. */
export function firstStr(a: Attrs, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = str(a, k);
    if (v !== null) return v;
  }
  return null;
}

/**
 * A token count: a non-negative whole number, given as an int, a double or a decimal string (some agents send
 * every attribute as a string). Null when absent; NaN when present but not a count, so the caller can reject.
 */
export function count(a: Attrs, key: string): number | null {
  const v = a.get(key);
  if (v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : Number.NaN;
}

export function num(a: Attrs, key: string): number | null {
  const v = a.get(key);
  if (v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * A cost the sender reported, in USD → pico-dollars; null when it is not an amount the ledger can hold (negative,
 * not finite, or past the 38 digits money has), so one absurd attribute costs the record its provider cost, not
 * the whole export a 503. It is kept beside the ledger's own cost, never instead of it.
 */
export function providerUsd(v: number | null): bigint | null {
  return v !== null && Number.isFinite(v) && v >= 0 && v < 1e26 ? parseUsd(v) : null;
}

/**
 * providerUsd of an attribute; one sent as a string (Claude Code sends every attribute so) is read from its text,
 * exact to its last digit, where going through a JS number kept ~15 significant digits.
 */
export function usdAttr(a: Attrs, key: string): bigint | null {
  const v = a.get(key);
  if (typeof v !== 'string') return providerUsd(num(a, key));
  try {
    const pico = parseUsd(v.trim());
    return pico >= 0n ? pico : null;
  } catch {
    return null; // not a decimal, or past the 38 digits money has
  }
}
