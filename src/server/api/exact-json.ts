/**
 * JSON that keeps the store's values exactly: a bigint (money in pico-dollars) travels as `{"$bigint": "digits"}`,
 * since a JSON number would round it and a plain string could not be told from a text field. An object's own keys
 * that begin with `$` (a tag may be named anything) are sent with one more `$`, so no data can pass for a bigint.
 * Used where the CLI asks a running server for the store's own results (ledger-calls.ts) and formats them exactly as
 * if it had read the file itself.
 */
import { setOwn } from '../../ledger/own-key.js';

const TAG = '$bigint';

export function toExactJson(v: unknown): unknown {
  if (typeof v === 'bigint') return { [TAG]: v.toString() };
  if (Array.isArray(v)) return v.map(toExactJson);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k.startsWith('$') ? `$${k}` : k, toExactJson(x));
    return out;
  }
  return v;
}

export function fromExactJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromExactJson);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === TAG && typeof o[TAG] === 'string') return BigInt(o[TAG]);
    const out: Record<string, unknown> = {};
    for (const k of keys) setOwn(out, k.startsWith('$$') ? k.slice(1) : k, fromExactJson(o[k]));
    return out;
  }
  return v;
}
