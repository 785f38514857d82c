/**
 * A fast path for canonicalRecordSchema (schema.ts) in the common case: a record every field of which is plainly
 * valid. zod took ~5.7 µs a record, half the cost of reading one (bench/RESULTS.md); this takes well under one.
 * It never rejects: anything it is not sure of gives null, and the caller runs zod, which accepts or names the
 * fault. What it accepts zod accepts with the same output (fast-schema.test.ts checks both on the same records).
 */
import { parseUsd } from '../money/money.js';

import {
  ATTRIBUTION_FIELDS,
  COST_FIELDS,
  COST_SOURCES,
  ENERGY_SOURCES,
  STATUSES,
  USAGE_FIELDS,
} from './event.js';
import { setOwn } from './own-key.js';
import type { CanonicalRecord } from './schema.js';
import { parseTimestamp } from './time.js';

export type Kind =
  | 'text'
  | 'count'
  | 'money'
  | 'number'
  | 'ts'
  | 'model'
  | 'tags'
  | 'stamp'
  | ReadonlySet<string>;

/** The kind of value each canonical field holds, by field name (decode-bytes.ts reads the same table). */
export const kinds = new Map<string, Kind>();
for (const k of [
  'event_id',
  'source',
  'source_ref',
  ...ATTRIBUTION_FIELDS,
  'provider',
  'model_requested',
  'operation',
  'service_tier',
  'route_id',
  'price_version',
  'error_type',
])
  kinds.set(k, 'text');
for (const k of USAGE_FIELDS) kinds.set(k, 'count');
for (const k of [...COST_FIELDS, 'provider_cost_usd']) kinds.set(k, 'money');
for (const k of ['duration_ms', 'ttft_ms', 'energy_j']) kinds.set(k, 'number');
kinds.set('ts', 'ts');
kinds.set('model', 'model');
kinds.set('tags', 'tags');
kinds.set('ingested_at', 'stamp');
kinds.set('cost_source', new Set<string>(COST_SOURCES));
kinds.set('energy_source', new Set<string>(ENERGY_SOURCES));
kinds.set('status', new Set<string>(STATUSES));

/** Marks "not sure: ask zod". */
export const UNSURE = Symbol('unsure');

/** `v` as canonicalRecordSchema outputs it for a field of this kind, or UNSURE. */
export function check(kind: Kind, v: unknown): unknown {
  if (kind === 'ts') {
    if (typeof v !== 'string' && typeof v !== 'number') return UNSURE;
    try {
      return parseTimestamp(v);
    } catch {
      return UNSURE;
    }
  }
  if (kind === 'model') return typeof v === 'string' && v.length > 0 ? v : UNSURE;
  if (v === null || v === undefined) return v;
  switch (kind) {
    case 'text':
      return typeof v === 'string' ? v : UNSURE;
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : UNSURE;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : UNSURE;
    case 'stamp':
      return typeof v === 'string' || typeof v === 'number' ? v : UNSURE;
    case 'money':
      if (v === '') return null;
      if (typeof v !== 'string' && typeof v !== 'number') return UNSURE;
      try {
        return parseUsd(v);
      } catch {
        return UNSURE;
      }
    case 'tags': {
      if (typeof v !== 'object' || Array.isArray(v)) return UNSURE;
      const out: Record<string, string> = {};
      for (const [k, t] of Object.entries(v)) {
        if (typeof t === 'string') setOwn(out, k, t);
        else if (typeof t === 'number' || typeof t === 'boolean') setOwn(out, k, String(t));
        else return UNSURE;
      }
      return out;
    }
    default:
      return typeof v === 'string' && kind.has(v) ? v : UNSURE;
  }
}

/**
 * The kinds of the last record's keys, in its order. A file's records nearly always share one key order (JSON.parse
 * gives them one hidden class), so each key is checked against the last record's by identity (keys are interned)
 * instead of being looked up: a Map lookup per field was ~40 per line, the most of this function's own time.
 */
let lastKeys: string[] = [];
let lastKinds: Kind[] = [];

/** The record as canonicalRecordSchema would output it, or null when zod must judge it. */
export function parseCanonicalFast(raw: Record<string, unknown>): CanonicalRecord | null {
  if (!('ts' in raw) || !('model' in raw)) return null;
  // A copy keeps the record's shape (cheap); only values that convert (ts, amounts, tags) are written back.
  const out: Record<string, unknown> = { ...raw };
  let i = 0;
  let same = true;
  for (const key in out) {
    let kind: Kind | undefined;
    if (same && lastKeys[i] === key) kind = lastKinds[i];
    else {
      if (same) {
        same = false;
        lastKeys = lastKeys.slice(0, i);
        lastKinds = lastKinds.slice(0, i);
      }
      kind = kinds.get(key);
      if (kind === undefined) return null;
      lastKeys.push(key);
      lastKinds.push(kind);
    }
    i++;
    const was = out[key];
    const v = check(kind!, was);
    if (v === UNSURE) return null;
    if (v !== was) out[key] = v;
  }
  if (i < lastKeys.length) {
    lastKeys.length = i;
    lastKinds.length = i;
  }
  const r = out as CanonicalRecord;
  const output = r.output_tokens ?? 0;
  if ((r.reasoning_tokens ?? 0) > output) return null;
  if ((r.output_audio_tokens ?? 0) + (r.output_image_tokens ?? 0) > output) return null;
  if ((r.input_audio_tokens ?? 0) + (r.input_image_tokens ?? 0) > (r.input_tokens ?? 0)) return null;
  return r;
}
