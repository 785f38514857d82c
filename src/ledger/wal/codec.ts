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
