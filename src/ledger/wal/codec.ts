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

export function encodeRecord(e: UsageEvent): Buffer {
  const json = JSON.stringify(e, bigintReplacer);
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

/** Splits a segment's bytes into records; `bad` counts lines that failed their checksum (a torn tail, usually). */
export function decodeSegment(bytes: Buffer): { events: UsageEvent[]; bad: number } {
  const events: UsageEvent[] = [];
  let bad = 0;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      const e = decodeRecord(bytes.subarray(start, end));
      if (e === null) bad++;
      else events.push(e);
    }
    start = end + 1;
  }
  return { events, bad };
}
