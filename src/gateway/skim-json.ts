/**
 * An answer's JSON with its long strings left out. Metering reads an answer's usage, model and ids, never a long
 * string; but the Images API answers with base64 images (a 4-image answer at high quality is ~17 MB), and embeddings
 * come as base64 (the openai SDKs ask for it), thousands of vectors to an answer. Decoding such a body whole held the
 * event loop for 100–130 ms (the text, then JSON.parse of it: bench/RESULTS.md, "Gateway: reading a large answer"),
 * and every call through the gateway waited. Strings are found with `indexOf` on their quotes (memchr speed); only
 * the rest is decoded.
 */

/** Bodies smaller than this are parsed whole: skimming them would save nothing worth its copy. */
export const SKIM_ABOVE_BYTES = 1 << 20;

/**
 * Strings longer than this (in bytes, without quotes) read as "". No fact the gateway reads (usage, model, ids,
 * tiers, output item types) comes near it; base64 embeddings of 1536 dimensions are 8 kB each.
 */
export const LONGEST_KEPT_STRING = 1 << 10;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EMPTY = Buffer.from('""');

/** `bytes` as text, without its long strings when it is over SKIM_ABOVE_BYTES. */
export function skimmedText(bytes: Buffer): string {
  return (bytes.length > SKIM_ABOVE_BYTES ? withoutLongStrings(bytes) : bytes).toString('utf8');
}

/**
 * `bytes` with every JSON string in them longer than `longest` bytes emptied to `""` (`bytes` itself when there is
 * none). Outside a string a quote always opens one, and inside one the first quote not escaped closes it (a run of
 * backslashes before it escapes it when odd), so no other syntax needs reading to find them; text around the JSON
 * (an SSE event's `event:` and `data:` fields) has no quotes and is kept as it is.
 */
export function withoutLongStrings(bytes: Buffer, longest = LONGEST_KEPT_STRING): Buffer {
  const kept: Buffer[] = [];
  let from = 0; // start of what is not yet copied
  let at = bytes.indexOf(QUOTE);
  while (at >= 0) {
    const close = closingQuote(bytes, at);
    if (close < 0) break; // an unterminated string: kept, for JSON.parse to refuse
    if (close - at - 1 > longest) {
      kept.push(bytes.subarray(from, at), EMPTY);
      from = close + 1;
    }
    at = bytes.indexOf(QUOTE, close + 1);
  }
  if (from === 0) return bytes;
  kept.push(bytes.subarray(from));
  return Buffer.concat(kept);
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
