const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = new Set([0x7b, 0x5b]);
const CLOSE = new Set([0x7d, 0x5d]);
const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * `raw` (a JSON object, already parsed once, so known to be valid) with the value of its top-level member `key`
 * replaced by `value` (JSON text), every other byte as it was; null when the object has no such member. Where a key
 * comes twice, JSON.parse keeps the last, and so does this. Bytes are scanned as they are: in UTF-8 every byte of
 * a multi-byte character is ≥ 0x80, so none can be mistaken for a quote, a bracket or a comma.
 */
export function replaceTopLevel(raw: Buffer, key: string, value: string): Buffer | null {
  let depth = 0;
  let range: [number, number] | null = null;
  let valueStart = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === QUOTE) {
      const start = i;
      for (i++; raw[i] !== QUOTE; i++) if (raw[i] === BACKSLASH) i++;
      if (depth !== 1 || valueStart >= 0) continue;
      let j = i + 1;
      while (SPACE.has(raw[j]!)) j++;
      if (raw[j] !== COLON || JSON.parse(raw.toString('utf8', start, i + 1)) !== key) continue;
      for (j++; SPACE.has(raw[j]!); j++);
      valueStart = j;
    } else if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c) || (c === COMMA && depth === 1)) {
      if (depth === 1 && valueStart >= 0) {
        let end = i;
        while (SPACE.has(raw[end - 1]!)) end--;
        range = [valueStart, end];
        valueStart = -1;
      }
      if (c !== COMMA) depth--;
    }
  }
  if (range === null) return null;
  return Buffer.concat([raw.subarray(0, range[0]), Buffer.from(value, 'utf8'), raw.subarray(range[1])]);
}

/** `raw` asking for `model` instead: only the value changes, unless `raw` has no top-level model to splice. */
export function withModel(raw: Buffer, json: Record<string, unknown>, model: string): Buffer {
  return (
    replaceTopLevel(raw, 'model', JSON.stringify(model)) ?? Buffer.from(JSON.stringify({ ...json, model }))
  );
}
