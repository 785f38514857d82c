/**
 * What a router sees of a request: its prompt's words, hashed. Nothing else is known before the call (not the
 * dataset's category, not the answer), so the learned router reads only this.
 *
 * Words and adjacent word pairs, lower-cased, each hashed into one of 2^BITS buckets, plus the prompt's length in
 * powers of two and a bias. Presence, not counts, scaled to unit length so a long prompt does not outvote a short
 * one. A word is a run of ASCII letters and digits or of any non-ASCII character but a space; each ASCII punctuation
 * mark is a word of its own (`2 + 2` is three words). The text is scanned a character code at a time with no
 * strings built: a router decides on every call it routes (bench/RESULTS.md, Router).
 */
export const BITS = 16;
/**
 * A longer prompt is read from its end. An agent's request carries its whole conversation, and its latest turn says
 * what the call is for; reading a megabyte of history would cost milliseconds a call.
 */
export const READ_CHARS = 32_768;
const MASK = (1 << BITS) - 1;
const BIAS = 0;
const PAIR = 0x9e3779b1;
const LENGTH = 0x85ebca6b;

export interface Features {
  index: Uint32Array;
  value: number;
}

/** Which buckets this call has taken already: a bucket holds the call's number when it has (no Set per call). */
const seenBy = new Uint32Array(1 << BITS);
let calls = 0;
/** The call's buckets before they are copied out: two a character at most (word, pair), the bias, the length. */
let taken = new Uint32Array(2 * READ_CHARS + 2);
const SEED = 0x811c9dc5;
const PRIME = 0x01000193;

// One loop with its state in locals: closures over mutable variables made this ~5x slower.
export function featuresOf(prompt: string): Features {
  const text = (prompt.length > READ_CHARS ? prompt.slice(-READ_CHARS) : prompt).toLowerCase();
  calls = (calls + 1) >>> 0;
  if (calls === 0) {
    seenBy.fill(0);
    calls = 1;
  }
  // Lower-casing can lengthen a text ("İ" is two units lower-cased).
  if (taken.length < 2 * text.length + 2) taken = new Uint32Array(2 * text.length + 2);
  // Module variables copied to locals: read in the loop, a module's `let` is checked for its temporal dead zone.
  const out = taken;
  const seen = seenBy;
  const call = calls;
  let n = 0;
  out[n++] = BIAS;
  seen[BIAS] = call;
  let word = SEED;
  let inWord = false;
  let previous = 0;
  let first = true;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 128 && !isSpace(c))) {
      word = Math.imul(word ^ c, PRIME);
      inWord = true;
      continue;
    }
    const mark = c > 32 && c < 128;
    if (!inWord && !mark) continue;
    // The word that ends here, then the punctuation mark as a word of its own.
    for (let k = inWord ? 0 : 1; k < (mark ? 2 : 1); k++) {
      if (k === 1) word = Math.imul(SEED ^ c, PRIME);
      let b = mix(word) & MASK || 1; // bucket 0 is the bias: a word hashing there moves to 1
      if (seen[b] !== call) {
        seen[b] = call;
        out[n++] = b;
      }
      if (!first) {
        b = mix(Math.imul(previous, PAIR) ^ word) & MASK || 1;
        if (seen[b] !== call) {
          seen[b] = call;
          out[n++] = b;
        }
      }
      previous = word;
      first = false;
    }
    word = SEED;
    inWord = false;
  }
  const length = mix(LENGTH + Math.floor(Math.log2(prompt.length + 1))) & MASK || 1;
  if (seen[length] !== call) out[n++] = length;
  return { index: out.slice(0, n), value: 1 / Math.sqrt(n) };
}

/** Unicode's spaces above ASCII (NEL, no-break, ideographic, …), which end a word as ASCII's do. */
function isSpace(c: number): boolean {
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** murmur3's finaliser: spreads FNV's low bits, which alone would crowd the buckets. */
function mix(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
