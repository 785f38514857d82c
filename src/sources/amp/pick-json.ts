/**
 * Streams one JSON document line by line and hands over only the values at the paths asked for, each parsed, with
 * the line it starts on. Everything else (an Amp thread's prompts, tool calls and tool output: most of its bytes) is
 * checked for JSON syntax and dropped, so memory holds the picked values and the path, never the whole document.
 *
 * Strings cannot span lines in JSON (a raw newline inside one is invalid), so every token lies within a line; only
 * a picked value may span several, and only its text is kept until it closes.
 */

/** A path in the document: object keys and array indices from the root (`['messages', 3, 'usage']`). */
export type JsonPath = readonly (string | number)[];

export interface Picked {
  path: JsonPath;
  value: unknown;
  /** 1-based line where the value starts. */
  line: number;
}

export interface PickError {
  /** 1-based line where the document stopped being JSON (the last line when it ended open). */
  line: number;
  /** `notUtf8`: the error is at a U+FFFD, a byte the reader could not decode as UTF-8, outside any string. */
  kind: 'syntax' | 'notUtf8' | 'unclosed';
  reason: string;
}

export interface Picker {
  line(text: string, lineNo: number): void;
  /** The document is over: null when it was whole JSON (or blank), else where and why it was not. */
  end(): PickError | null;
}

/**
 * @param want whether the value at `path` is to be picked (called at the start of each value, with a path that is
 *   only valid during the call). Keys are decoded only to `maxDepth` parts: deeper keys read as `''`, which saves
 *   decoding every key of every tool result.
 * @example
 * const p = pickJson((path) => path.length === 1 && path[0] === 'id', 1, (x) => console.log(x.value));
 */
export function pickJson(
  want: (path: JsonPath) => boolean,
  maxDepth: number,
  onPick: (p: Picked) => void,
): Picker {
  /** One open container: its kind, what it expects next, and its current key or index. */
  interface Frame {
    obj: boolean;
    state: 'first' | 'key' | 'colon' | 'value' | 'next';
    index: number;
  }
  const frames: Frame[] = [];
  const path: (string | number)[] = [];
  let rootDone = false;
  let sawAny = false;
  let error: PickError | null = null;
  let lastLine = 0;
  // The value being picked: its text so far (earlier lines), where it starts on the current line, its depth.
  let capture: { parts: string[]; from: number; depth: number; line: number; path: JsonPath } | null = null;

  const fail = (lineNo: number, reason: string, kind: PickError['kind'] = 'syntax') => {
    error = { line: lineNo, kind, reason };
  };

  /** A value starts at `at`: pick it when asked for. */
  const valueStarts = (at: number, lineNo: number) => {
    sawAny = true;
    if (capture === null && want(path)) {
      capture = { parts: [], from: at, depth: frames.length, line: lineNo, path: [...path] };
    }
  };

  /** A value ended just before `end` on the current line. */
  const valueEnds = (text: string, end: number) => {
    if (capture !== null && frames.length === capture.depth) {
      capture.parts.push(text.slice(capture.from, end));
      const c = capture;
      capture = null;
      onPick({ path: c.path, value: JSON.parse(c.parts.join('\n')), line: c.line });
    }
    const top = frames.at(-1);
    if (top === undefined) rootDone = true;
    else top.state = 'next';
  };

  /** Before a value in the top frame: sets the path's last part (the array index; the key was set by `key`). */
  const enterValue = (): boolean => {
    const top = frames.at(-1);
    if (top === undefined) return !rootDone;
    if (top.obj) return top.state === 'value';
    if (top.state !== 'first' && top.state !== 'value') return false;
    path[frames.length - 1] = top.index;
    return true;
  };

  const line = (text: string, lineNo: number) => {
    lastLine = lineNo;
    let i = 0;
    const n = text.length;
    while (i < n && error === null) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
        i++;
        continue;
      }
      const top = frames.at(-1);
      if (c === 0x22) {
        const end = stringEnd(text, i);
        if (end < 0) return fail(lineNo, 'a string does not close on its line');
        if (top?.obj && (top.state === 'first' || top.state === 'key')) {
          path[frames.length - 1] =
            frames.length <= maxDepth ? (JSON.parse(text.slice(i, end)) as string) : '';
          top.state = 'colon';
        } else {
          if (!enterValue()) return fail(lineNo, 'a string where none may stand');
          valueStarts(i, lineNo);
          valueEnds(text, end);
        }
        i = end;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        if (!enterValue()) return fail(lineNo, `"${text[i]}" where no value may stand`);
        valueStarts(i, lineNo);
        frames.push({ obj: c === 0x7b, state: 'first', index: 0 });
        path.push(c === 0x7b ? '' : 0);
        i++;
        continue;
      }
      if (c === 0x7d || c === 0x5d) {
        const closesObj = c === 0x7d;
        if (top === undefined || top.obj !== closesObj || (top.state !== 'first' && top.state !== 'next')) {
          return fail(lineNo, `"${text[i]}" closes nothing open here`);
        }
        frames.pop();
        path.pop();
        i++;
        valueEnds(text, i);
        continue;
      }
      if (c === 0x3a) {
        if (!top?.obj || top.state !== 'colon') return fail(lineNo, '":" out of place');
        top.state = 'value';
        i++;
        continue;
      }
      if (c === 0x2c) {
        if (top === undefined || top.state !== 'next') return fail(lineNo, '"," out of place');
        top.state = top.obj ? 'key' : 'value';
        if (!top.obj) top.index++;
        i++;
        continue;
      }
      LITERAL.lastIndex = i;
      const m = LITERAL.exec(text);
      if (m === null) {
        return c === 0xfffd
          ? fail(lineNo, 'a byte that is not UTF-8 outside any string', 'notUtf8')
          : fail(lineNo, `unexpected ${JSON.stringify(text.slice(i, i + 12))}`);
      }
      if (!enterValue()) return fail(lineNo, `${JSON.stringify(m[0])} where no value may stand`);
      valueStarts(i, lineNo);
      i += m[0].length;
      valueEnds(text, i);
    }
    if (error === null && capture !== null) {
      capture.parts.push(text.slice(capture.from));
      capture.from = 0;
    }
  };

  return {
    line(text, lineNo) {
      if (error !== null) return;
      try {
        line(text, lineNo);
      } catch (e) {
        // JSON.parse of a key or a picked value: a bad escape inside a string.
        if (!(e instanceof SyntaxError)) throw e;
        fail(lineNo, e.message);
      }
    },
    end() {
      if (error !== null) return error;
      if (sawAny && frames.length > 0) {
        return { line: lastLine, kind: 'unclosed', reason: 'the document ends before it closes' };
      }
      return null;
    },
  };
}

/** A JSON number, `true`, `false` or `null`, at `lastIndex`. */
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Index just past the closing quote of the string opening at `start`, or -1 when it does not close on the line. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    let slashes = 0;
    for (let k = q - 1; k > start && text.charCodeAt(k) === 0x5c; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}
