import { hash } from 'node:crypto';

/**
 * Event ids are deterministic from the source's own identity of a record (a request id, file and message id, a
 * bucket's start and group keys), so importing the same record twice stores it once.
 *
 * The id is the first 64 bits of SHA-256 over the source name and the parts, written as 16 hex digits, so the
 * store keeps it in 8 bytes. The store deduplicates on (event_id, ts): a record ingested again has the same ts, while
 * two different records would need equal 64-bit hashes *and* the same microsecond to be confused (docs/ledger.md).
 * Parts are joined with a separator that cannot occur inside them after escaping, so ("a", "b|c") and ("a|b", "c")
 * differ.
 */
export function eventId(source: string, ...parts: readonly (string | number | null | undefined)[]): string {
  // One string hashed at once: a Hash object and an update() per part cost ~3x as much per id (µs each, an id per
  // line of a Claude Code log).
  let text = escapePart(source);
  for (const p of parts) text += `|${p === null || p === undefined ? '\\0' : escapePart(String(p))}`;
  return hash('sha256', text).slice(0, 16);
}

function escapePart(s: string): string {
  return s.includes('|') || s.includes('\\') ? s.replaceAll('\\', '\\\\').replaceAll('|', '\\|') : s;
}

/**
 * The 32-bit half of an id in the ledger's form (16 lowercase hex digits) starting at `from` (0 or 8), or -1 when
 * `id` is not in that form there. By hand: a regex test, then two slices parsed, cost ~3x as much per event.
 */
export function idHalf(id: string, from: 0 | 8): number {
  if (id.length !== 16) return -1;
  let v = 0;
  for (let i = from; i < from + 8; i++) {
    const c = id.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Whether `id` is in the ledger's own form: 16 lowercase hex digits. */
export function isLedgerId(id: string): boolean {
  return idHalf(id, 0) >= 0 && idHalf(id, 8) >= 0;
}
