/**
 * The offset where a JSON text stops being valid. V8's messages name the position only for some errors and quote
 * the input for others (which may be prompt text), so the gateway finds the place itself. Called only after
 * JSON.parse has failed, so it need not be fast. Arrays and objects are tracked on a stack of its own, not by
 * recursion: a body may nest them deeper than the call stack goes.
 */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    for (const ch of word) if (text[i++] !== ch) fail();
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') return void i++;
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail();
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail();
      } else if (ch < ' ') fail();
      else i++;
    }
    fail();
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail();
    i += m![0].length;
  };
  /** An object member's name and colon; its value follows. */
  const name = () => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  /** The closing bracket of each array or object the value being read is inside, innermost last. */
  const open: string[] = [];
  try {
    value: for (;;) {
      ws();
      const ch = text[i];
      if (ch === '{' || ch === '[') {
        const close = ch === '{' ? '}' : ']';
        i++;
        ws();
        if (text[i] === close) i++;
        else {
          open.push(close);
          if (close === '}') name();
          continue;
        }
      } else if (ch === '"') string();
      else if (ch === 't') literal('true');
      else if (ch === 'f') literal('false');
      else if (ch === 'n') literal('null');
      else number();
      // A value is complete: the next one in its array or object, or the end of each that it completes.
      while (open.length > 0) {
        ws();
        const close = open.at(-1)!;
        if (text[i] === ',') {
          i++;
          if (close === '}') name();
          continue value;
        }
        if (text[i] !== close) fail();
        i++;
        open.pop();
      }
      break;
    }
    ws();
    if (i < text.length) fail();
  } catch (pos) {
    if (typeof pos === 'number') return Math.min(pos, text.length);
    throw pos;
  }
  return text.length;
}
