import { crc32 } from 'node:zlib';
import type { RateCard, UsageEvent } from '../event.js';

/**
 * One WAL record per line: `<crc32 as 8 hex> <event JSON>\n`. Bigints (money, rates) travel as decimal strings so
 * nothing on the cost path ever becomes a float. The checksum tells a torn tail (a write the kill interrupted, never
 * acknowledged) from a good record, so replay never reads half an event.
 */

const MONEY_FIELDS = [
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
  'provider_cost_usd',
] as const;
const RATE_FIELDS = ['input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output'] as const;

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * The known bigint fields become strings on a shallow copy, so JSON.stringify runs without a replacer (a replacer is
 * called for every key and made encoding the costliest step of the gateway's WAL append). Any other bigint (a field
 * added later) still encodes, through the slow path.
 */
function jsonOf(e: UsageEvent): string {
  const o: Record<string, unknown> = { ...e };
  for (const f of MONEY_FIELDS) {
    const v = o[f];
    if (typeof v === 'bigint') o[f] = v.toString();
  }
  const r = e.rates;
  if (r !== null && r !== undefined) {
    const rates: Record<string, string> = {};
    for (const f of RATE_FIELDS) rates[f] = r[f].toString();
    o.rates = rates;
  }
  try {
    return JSON.stringify(o);
  } catch {
    return JSON.stringify(e, bigintReplacer);
  }
}

export function encodeRecord(e: UsageEvent): Buffer {
  const json = jsonOf(e);
  const body = Buffer.from(json, 'utf8');
  const line = Buffer.allocUnsafe(body.length + 10);
  line.write(crc32(body).toString(16).padStart(8, '0'), 0, 'latin1');
  line[8] = 0x20;
  body.copy(line, 9);
  line[line.length - 1] = 0x0a;
  return line;
}

/**
 * Several records in one buffer, each its own checksummed line (so replay reads them exactly as if appended one by
 * one). Written straight into one growing buffer: no buffer per event and no concat.
 */
export function encodeRecords(events: readonly UsageEvent[]): Buffer {
  let buf = EMPTY;
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    const json = jsonOf(events[i]!);
    // UTF-8 needs at most 3 bytes per UTF-16 unit; 10 for the checksum, the space and the newline.
    const room = json.length * 3 + 10;
    if (at + room > buf.length) {
      // Sized from this line for the events left, so a batch of similar events allocates once or twice.
      const grown = Buffer.allocUnsafe(at + room + (events.length - i) * (json.length + 64));
      buf.copy(grown, 0, 0, at);
      buf = grown;
    }
    const n = buf.write(json, at + 9, 'utf8');
    const crc = crc32(buf.subarray(at + 9, at + 9 + n));
    buf.write(
      HEX[crc >>> 24]! + HEX[(crc >>> 16) & 255]! + HEX[(crc >>> 8) & 255]! + HEX[crc & 255]!,
      at,
      'latin1',
    );
    buf[at + 8] = 0x20;
    buf[at + 9 + n] = 0x0a;
    at += n + 10;
  }
  return buf.subarray(0, at);
}

const EMPTY = Buffer.alloc(0);
/** Bytes as 2 lowercase hex digits: a checksum's text without toString and padStart per line. */
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The event in one line (without its newline), or null when the line is torn or corrupt. */
export function decodeRecord(line: Buffer): UsageEvent | null {
  if (line.length < 10 || line[8] !== 0x20) return null;
  const body = line.subarray(9);
  if (line.toString('latin1', 0, 8) !== crc32(body).toString(16).padStart(8, '0')) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  for (const f of MONEY_FIELDS) {
    const v = raw[f];
    raw[f] = v === null || v === undefined ? null : BigInt(v as string);
  }
  if (raw.rates !== null && raw.rates !== undefined) {
    const r = raw.rates as Record<string, string>;
    const rates = {} as RateCard;
    for (const f of RATE_FIELDS) rates[f] = BigInt(r[f]!);
    raw.rates = rates;
  } else raw.rates = null;
  return raw as unknown as UsageEvent;
}

/**
 * Splits a segment's bytes into records; `bad` counts lines that failed their checksum (a torn tail, usually).
 * Segments are preallocated with zero bytes and a record never contains one (JSON escapes control characters), so
 * the first zero byte is the end of what was written.
 */
export function decodeSegment(bytes: Buffer): { events: UsageEvent[]; bad: number } {
  const events: UsageEvent[] = [];
  let bad = 0;
  let start = 0;
  const zero = bytes.indexOf(0);
  const stop = zero < 0 ? bytes.length : zero;
  while (start < stop) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0 || end > stop) end = stop;
    if (end > start) {
      const e = decodeRecord(bytes.subarray(start, end));
      if (e === null) bad++;
      else events.push(e);
    }
    start = end + 1;
  }
  return { events, bad };
}
