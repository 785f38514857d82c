import { isNode, LineCounter, parseDocument } from 'yaml';

/**
 * A YAML file read with its line numbers, so that a problem found later (by a schema, on a value) can say
 * `file:line` and not only the key's path. For the files people edit by hand: the gateway config and the price
 * overrides.
 */
export type YamlLines =
  | { ok: true; value: unknown; lineOf: (path: readonly PropertyKey[]) => number | null }
  /** The first syntax error: its line and the parser's message (first line, without the code frame). */
  | { ok: false; line: number; message: string };

export function readYamlLines(text: string): YamlLines {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const e = doc.errors[0];
  if (e !== undefined)
    return { ok: false, line: lineCounter.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! };
  return {
    ok: true,
    value: doc.toJS() ?? {},
    lineOf: (path) => {
      // A missing key has no node: the line is that of the nearest enclosing one (the entry that lacks it).
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return null;
    },
  };
}
