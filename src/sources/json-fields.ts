/**
 * Typed reads from parsed JSON with the JSON path of every field, so a bad record is reported as
 * `file:line data[3].results[1].model: expected a string, got null` and skipped. A reader throws RecordError;
 * `guard` turns it into a Skip, so one bad record never stops a page.
 */

import { parseTimestamp, TimeError } from '../ledger/time.js';
import { MoneyError, numberToDecimal, parseDecimal, SCALE } from '../money/money.js';
import type { Locate } from './json-documents.js';
import type { Sink } from './source.js';

export const FIELD_SKIP = {
  badRecord: 'SRC_BAD_RECORD',
  numberTooLarge: 'SRC_NUMBER_TOO_LARGE',
  badEncoding: 'SRC_NOT_UTF8',
  unknownDocument: 'SRC_UNKNOWN_DOCUMENT',
  unsupportedRecord: 'SRC_UNSUPPORTED_RECORD',
  openBucket: 'SRC_OPEN_BUCKET',
} as const;

export class RecordError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The JSON path the error is about (its line is found from it); null: the record or page as a whole. */
    readonly path: string | null = null,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}

/** An object in a parsed document and the JSON path that leads to it ('' for the root). */
export interface Obj {
  readonly path: string;
  readonly value: Record<string, unknown>;
}

export function childPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function bad(path: string, expected: string, got: unknown): RecordError {
  return new RecordError(
    FIELD_SKIP.badRecord,
    `${path}: expected ${expected}, got ${describe(got)}; fix the record or export it again`,
    path,
  );
}

export function asObj(value: unknown, path: string): Obj {
  if (!isObject(value)) throw bad(path || 'document', 'an object', value);
  return { path, value };
}

export function objAt(o: Obj, key: string): Obj {
  return asObj(o.value[key], childPath(o.path, key));
}

export function optObjAt(o: Obj, key: string): Obj | null {
  const v = o.value[key];
  return v === undefined || v === null ? null : asObj(v, childPath(o.path, key));
}

/** The array at `key`, or null when it is missing or null; anything else is an error. */
export function optArrayAt(o: Obj, key: string): unknown[] | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw bad(childPath(o.path, key), 'an array', v);
  return v;
}

/** A string, or null when missing, null or empty. Bytes that were not UTF-8 would corrupt attribution: refused. */
export function optStr(o: Obj, key: string): string | null {
  const v = o.value[key];
  const path = childPath(o.path, key);
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw bad(path, 'a string', v);
  if (v.includes('\uFFFD')) {
    throw new RecordError(
      FIELD_SKIP.badEncoding,
      `${path}: holds bytes that are not UTF-8; export the file again as UTF-8`,
      path,
    );
  }
  return v;
}

export function str(o: Obj, key: string): string {
  const v = optStr(o, key);
  if (v === null) throw bad(childPath(o.path, key), 'a non-empty string', o.value[key]);
  return v;
}

export function optBool(o: Obj, key: string): boolean | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw bad(childPath(o.path, key), 'true or false', v);
  return v;
}

/**
 * A token or request count: a non-negative integer. Past 2^53 JSON.parse has already rounded it, so the exact
 * count is lost and the record is refused rather than stored wrong.
 */
function toCount(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, 'a non-negative integer', v);
  if (!Number.isSafeInteger(v) && Number.isInteger(v)) {
    throw new RecordError(
      FIELD_SKIP.numberTooLarge,
      `${path}: ${v} is beyond 2^53 and cannot be read exactly; check the export`,
      path,
    );
  }
  if (!Number.isInteger(v) || v < 0) throw bad(path, 'a non-negative integer', v);
  return v;
}

export function count(o: Obj, key: string): number {
  return toCount(o.value[key], childPath(o.path, key));
}

/** A count that may be missing or null (the provider omits zero or ungrouped counts): 0 then. */
export function optCount(o: Obj, key: string): number {
  const v = o.value[key];
  return v === undefined || v === null ? 0 : toCount(v, childPath(o.path, key));
}

/** Epoch seconds (OpenAI bucket bounds) → epoch µs. */
export function epochSecondsAt(o: Obj, key: string): number {
  const s = count(o, key);
  const us = s * 1_000_000;
  if (!Number.isSafeInteger(us)) throw bad(childPath(o.path, key), 'epoch seconds', s);
  return us;
}

/** RFC 3339 or a bare date (`YYYY-MM-DD`) → epoch µs. */
export function timestampAt(o: Obj, key: string): number {
  const v = str(o, key);
  try {
    return parseTimestamp(v);
  } catch (e) {
    if (e instanceof TimeError) throw bad(childPath(o.path, key), 'an RFC 3339 timestamp', v);
    throw e;
  }
}

/**
 * A money amount that is a JSON number, read through its shortest round-trip string (0.06 → 0.06 exactly) at
 * `scale` digits: SCALE for currency units, SCALE - 2 for cents (one cent is 10^10 pico-dollars).
 */
export function numberAmountAt(o: Obj, key: string, scale: number = SCALE): bigint {
  const v = o.value[key];
  const path = childPath(o.path, key);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, 'a number', v);
  if (Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    throw new RecordError(
      FIELD_SKIP.numberTooLarge,
      `${path}: ${v} is beyond 2^53 and cannot be read exactly`,
      path,
    );
  }
  return numberToDecimal(v, scale);
}

/** A money amount written as a decimal string ("123.45"), exact at `scale` digits. */
export function decimalAmountAt(o: Obj, key: string, scale: number = SCALE): bigint {
  const v = o.value[key];
  const path = childPath(o.path, key);
  if (typeof v !== 'string') throw bad(path, 'a decimal string like "123.45"', v);
  try {
    return parseDecimal(v, scale);
  } catch (e) {
    if (e instanceof MoneyError) throw bad(path, 'a decimal string like "123.45"', v);
    throw e;
  }
}

/**
 * Runs one record's conversion; a RecordError becomes a located Skip and the page goes on. `at` is the page's
 * `file:line`, or a Locate that finds the line of the value the error names.
 */
export function guard(sink: Pick<Sink, 'skip'>, at: string | Locate, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof RecordError)) throw e;
    sink.skip({ ref: typeof at === 'string' ? at : at(e.path ?? ''), code: e.code, reason: `${e.message}` });
  }
}
