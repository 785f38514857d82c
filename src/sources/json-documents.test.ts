import { describe, expect, it } from 'vitest';
import { createDocumentReader } from './json-documents.js';
import type { Skip } from './source.js';

function read(text: string) {
  const docs: [unknown, number][] = [];
  const skips: Skip[] = [];
  const r = createDocumentReader('f.json', { skip: (s) => skips.push(s) }, (v, at) =>
    docs.push([v, Number(at('').split(':')[1])]),
  );
  for (const [i, l] of text.split('\n').entries()) r.line(l, i + 1);
  r.end();
  return { docs, skips };
}

describe('createDocumentReader', () => {
  it('locates a value by its JSON path at the line it starts on, or at its nearest enclosing value', () => {
    const located: string[] = [];
    const r = createDocumentReader('f.json', { skip: () => {} }, (_v, at) =>
      located.push(
        ...[
          '',
          'data',
          'data[0].results[1]',
          'data[0].results[1].model',
          'data[0].results[1].n',
          'data[1]',
          'data[1]["odd key"]',
          'data[1].missing.deeper',
          'k"q',
          'nowhere',
        ].map(at),
      ),
    );
    const text = [
      '',
      '{',
      '  "data": [',
      '    {"results": [',
      '      {"model": "a,[b]"},',
      '      {',
      '        "model": "c\\"}",',
      '        "n": -1.5e3',
      '      }',
      '    ]},',
      '    {"odd key": true, "x": null}',
      '  ],',
      '  "k\\"q": 1',
      '}',
    ];
    for (const [i, l] of text.entries()) r.line(l, i + 1);
    r.end();
    expect(located).toEqual([
      'f.json:2', // the document
      'f.json:3',
      'f.json:6',
      'f.json:7',
      'f.json:8',
      'f.json:11',
      'f.json:11', // a path json-fields never writes: its nearest enclosing value
      'f.json:11',
      'f.json:13', // keys with escapes are decoded
      'f.json:2',
    ]);
  });

  it('reads pretty documents one after another, with their first lines', () => {
    const { docs, skips } = read(
      '\uFEFF{\n  "a": "}{[",\n  "b": [1, {"c": "\\"]"}]\n}\n\n{"d": 2}\n[\n3\n]\n',
    );
    expect(skips).toEqual([]);
    expect(docs).toEqual([
      [{ a: '}{[', b: [1, { c: '"]' }] }, 1],
      [{ d: 2 }, 6],
      [[3], 7],
    ]);
  });

  it('reads documents saved back to back with no newline between them, as `curl … >> file` appends pages', () => {
    const compact = read('{"a": 1}{"a": "}{"} {"a": 3}\n[4]\n');
    expect(compact.skips).toEqual([]);
    expect(compact.docs).toEqual([
      [{ a: 1 }, 1],
      [{ a: '}{' }, 1],
      [{ a: 3 }, 1],
      [[4], 2],
    ]);
    const pretty = read('{\n  "b": 1\n}{\n  "b": 2\n}[3]');
    expect(pretty.skips).toEqual([]);
    expect(pretty.docs).toEqual([
      [{ b: 1 }, 1],
      [{ b: 2 }, 3],
      [[3], 5],
    ]);
  });

  it('treats a file whose first document fits one line as JSONL: a bad line does not swallow the next', () => {
    const { docs, skips } = read('{"a": 1}\n{"a": [2\n{"a": 3}\nnot json\n');
    expect(docs).toEqual([
      [{ a: 1 }, 1],
      [{ a: 3 }, 3],
    ]);
    expect(skips.map((s) => [s.ref, s.code])).toEqual([
      ['f.json:2', 'SRC_TRUNCATED'],
      ['f.json:4', 'SRC_BAD_JSON'],
    ]);
  });

  it('locates syntax errors by line without quoting the document', () => {
    const { skips } = read('{\n  "a": 1,\n  "email": "x@y.z",\n  "b": oops\n}');
    expect(skips).toHaveLength(1);
    expect(skips[0]!.ref).toBe('f.json:4');
    expect(skips[0]!.reason).not.toContain('x@y.z');
    const missingComma = read('{\n  "a": 1\n  "b": 2\n}');
    expect(missingComma.skips[0]!.ref).toBe('f.json:3');
  });

  it('reports a document left open at the end of the file', () => {
    const { docs, skips } = read('{\n  "a": [1,\n');
    expect(docs).toEqual([]);
    expect(skips.map((s) => [s.ref, s.code])).toEqual([['f.json:1', 'SRC_TRUNCATED']]);
  });
});
