/**
 * An answer's JSON with its long strings and long arrays of numbers left out. Metering reads an answer's usage, model
 * and ids, never a long string or a vector; but the Images API answers with base64 images (a 4-image answer at high
 * quality is ~17 MB), and embeddings come by the thousand to an answer, as base64 (the openai SDKs ask for it) or as
 * arrays of numbers (the API's default, and what most other clients get). Decoding such a body whole held the event
 * loop for 100–330 ms (the text, then JSON.parse of it: bench/RESULTS.md, "Gateway: reading a large answer"), and
 * every call through the gateway waited. Strings are found with `indexOf` on their quotes, arrays on their brackets
 * (memchr speed); only the rest is decoded.
 */

/** Bodies smaller than this are parsed whole: skimming them would save nothing worth its copy. */
export const SKIM_ABOVE_BYTES = 1 << 20;

/**
 * Strings and arrays of numbers longer than this (in bytes, without quotes or brackets) read as "" and []. No fact
 * the gateway reads (usage, model, ids, tiers, output item types) comes near it; base64 embeddings of 1536
 * dimensions are 8 kB each, and as numbers ~20 kB.
 */
export const LONGEST_KEPT_VALUE = 1 << 10;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const EMPTY_STRING = Buffer.from('""');
const EMPTY_ARRAY = Buffer.from('[]');

/** `bytes` as text, without its long values when it is over SKIM_ABOVE_BYTES. */
export function skimmedText(bytes: Buffer): string {
  return (bytes.length > SKIM_ABOVE_BYTES ? withoutLongValues(bytes) : bytes).toString('utf8');
}

/**
 * `bytes` with every JSON string in them longer than `longest` bytes emptied to `""`, and every array longer than
 * that holding only numbers (or true, false, null) emptied to `[]` (`bytes` itself when there is none of either).
 * Outside a string a quote always opens one, and inside one the first quote not escaped closes it (a run of
 * backslashes before it escapes it when odd), so no other syntax needs reading to find them. Between two strings
 * there is no quote, so an array that opens there, holds no `[` or `{` and closes before the next quote holds only
 * scalars: its brackets are all that is looked for. Text around the JSON (an SSE event's `event:` and `data:`
 * fields) has no quotes or brackets and is kept as it is.
 */
export function withoutLongValues(bytes: Buffer, longest = LONGEST_KEPT_VALUE): Buffer {
  const kept: Buffer[] = [];
  let from = 0; // start of what is not yet copied
  let gap = 0; // start of the stretch since the last string
  for (;;) {
    const at = bytes.indexOf(QUOTE, gap);
    const end = at < 0 ? bytes.length : at;
    // Arrays of numbers are only in a stretch longer than the limit (an embedding's: ~20 kB of digits).
    if (end - gap > longest) from = emptyLongArrays(bytes, gap, end, longest, from, kept);
    if (at < 0) break;
    const close = closingQuote(bytes, at);
    if (close < 0) break; // an unterminated string: kept, for JSON.parse to refuse
    if (close - at - 1 > longest) {
      kept.push(bytes.subarray(from, at), EMPTY_STRING);
      from = close + 1;
    }
    gap = close + 1;
  }
  if (from === 0) return bytes;
  kept.push(bytes.subarray(from));
  return Buffer.concat(kept);
}

/**
 * Empties the arrays of scalars longer than `longest` in `bytes[start, end)`, a stretch with no string in it,
 * pushing onto `kept` what precedes each from `from` on; returns where copying goes on from. Every search stays
 * within the stretch, so each byte of it is looked at a bounded number of times.
 */
function emptyLongArrays(
  bytes: Buffer,
  start: number,
  end: number,
  longest: number,
  from: number,
  kept: Buffer[],
): number {
  const stretch = bytes.subarray(0, end);
  let open = stretch.indexOf(OPEN_BRACKET, start);
  while (open >= 0) {
    const close = stretch.indexOf(CLOSE_BRACKET, open + 1);
    if (close < 0) break; // it closes after a string: it holds one, so it is no array of scalars
    const next = stretch.indexOf(OPEN_BRACKET, open + 1);
    if (next >= 0 && next < close) {
      open = next; // an array in an array: the inner one may be a vector
      continue;
    }
    if (close - open - 1 > longest && stretch.subarray(open + 1, close).indexOf(OPEN_BRACE) < 0) {
      kept.push(bytes.subarray(from, open), EMPTY_ARRAY);
      from = close + 1;
    }
    open = next;
  }
  return from;
}

/** The index of the quote that closes the string opened at `open`, or -1 when none does. */
function closingQuote(body: Buffer, open: number): number {
  let q = body.indexOf(QUOTE, open + 1);
  while (q >= 0) {
    let slashes = 0;
    while (body[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    q = body.indexOf(QUOTE, q + 1);
  }
  return -1;
}
