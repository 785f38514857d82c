import { createHash } from 'node:crypto';

/** How many trailing messages identify a request: the newest turn and the one it answers. */
const LAST_MESSAGES = 2;
/** Keys whose values change on every call of an identical loop (ids, signatures), left out of the fingerprint. */
const VOLATILE_KEY = /(^|_)id$|^id$|signature/i;
/** Text beyond this per message adds no identity and only costs hashing time (base64 images). */
const MAX_CHARS = 64 * 1024;

/**
 * Every string in `root`, in document order, but those under volatile keys. Walked with a stack of its own, not by
 * recursion: a caller's body may nest arrays as deep as it likes, and a stack overflow here (run off the response
 * path, in a setImmediate) took the whole server down.
 */
function collect(root: unknown, out: string[]): void {
  const todo: [key: string, value: unknown][] = [['', root]];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const [key, v] = next;
    if (VOLATILE_KEY.test(key)) continue;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) todo.push(['', v[i]]);
    else if (v !== null && typeof v === 'object') {
      const members = Object.entries(v);
      for (let i = members.length - 1; i >= 0; i--) todo.push(members[i]!);
    }
  }
}

/** Digits (counters, timestamps, line numbers) and whitespace normalised: a loop re-sends "the same" text. */
export function normaliseText(s: string): string {
  return s.replace(/\d+/g, '0').replace(/\s+/g, ' ').trim();
}

function messageText(m: unknown): string {
  const parts: string[] = [];
  collect(m, parts);
  return normaliseText(parts.join(' ').slice(0, MAX_CHARS));
}

/**
 * A fingerprint of a chat request — its model and its last messages, normalised — equal for near-identical
 * requests, so a session re-sending the same turn in a loop shows up as one fingerprint repeated. Reads OpenAI chat
 * completions (`messages`), OpenAI responses (`input`, a string or items) and Anthropic messages (`messages`).
 * Null when the body has neither.
 *
 * @example
 * requestFingerprint({ model: 'gpt-4o', messages: [{ role: 'user', content: 'retry 3' }] }) // 'a1b2…' (32 hex)
 */
export function requestFingerprint(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const model = typeof b.model === 'string' ? b.model : '';
  let last: unknown[];
  if (Array.isArray(b.messages)) last = b.messages.slice(-LAST_MESSAGES);
  else if (typeof b.input === 'string') last = [b.input];
  else if (Array.isArray(b.input)) last = b.input.slice(-LAST_MESSAGES);
  else return null;
  if (last.length === 0) return null;
  const h = createHash('sha256').update(model);
  for (const m of last) h.update('\u0000').update(messageText(m));
  return h.digest('hex').slice(0, 32);
}
