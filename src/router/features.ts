/**
 * What a router sees of a request: its prompt's words, hashed. Nothing else is known before the call (not the
 * dataset's category, not the answer), so the learned router reads only this.
 *
 * Words and adjacent word pairs, lower-cased, each hashed (FNV-1a) into one of 2^BITS buckets, plus the prompt's
 * length in powers of two and a bias. Presence, not counts, scaled to unit length so a long prompt does not
 * outvote a short one.
 */
export const BITS = 18;
const MASK = (1 << BITS) - 1;
const BIAS = 0;
const WORD = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

export interface Features {
  index: Uint32Array;
  value: number;
}

export function featuresOf(prompt: string): Features {
  const buckets = new Set<number>([BIAS]);
  let previous = '';
  for (const match of prompt.toLowerCase().matchAll(WORD)) {
    const word = match[0];
    buckets.add(bucket(`w:${word}`));
    if (previous !== '') buckets.add(bucket(`b:${previous} ${word}`));
    previous = word;
  }
  buckets.add(bucket(`len:${Math.floor(Math.log2(prompt.length + 1))}`));
  return { index: Uint32Array.from(buckets), value: 1 / Math.sqrt(buckets.size) };
}

function bucket(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Bucket 0 is the bias; a word hashing there moves to 1 rather than sharing the bias's weight.
  return (h >>> 0) & MASK || 1;
}
