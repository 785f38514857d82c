import { describe, expect, it } from 'vitest';
import { type JsonPath, type Picked, pickJson } from './pick-json.js';

function pick(text: string, want: (p: JsonPath) => boolean, maxDepth = 3) {
  const picked: Picked[] = [];
  const p = pickJson(want, maxDepth, (x) => picked.push(x));
  text.split('\n').forEach((l, i) => {
    p.line(l, i + 1);
  });
  return { picked, error: p.end() };
}

const usageOf = (p: JsonPath) => p.length === 3 && p[0] === 'messages' && p[2] === 'usage';

describe('pickJson', () => {
  it('hands over the values at the asked paths, parsed, with the line each starts on', () => {
    const doc = JSON.stringify(
      {
        id: 'T-1',
        messages: [
          { role: 'user', content: [{ text: 'a "quoted" \\ word' }] },
          { role: 'assistant', usage: { inputTokens: 3, model: 'm' } },
        ],
      },
      null,
      2,
    );
    const { picked, error } = pick(doc, (p) => usageOf(p) || (p.length === 1 && p[0] === 'id'));
    expect(error).toBeNull();
    expect(picked).toEqual([
      { path: ['id'], value: 'T-1', line: 2 },
      { path: ['messages', 1, 'usage'], value: { inputTokens: 3, model: 'm' }, line: 14 },
    ]);
    expect(doc.split('\n')[13]).toContain('"usage": {');
  });

  it('reads a minified document the same way, every value on line 1', () => {
    const doc = '{"messages":[{"usage":{"a":1}},{"usage":[1,{"b":null}]},{"usage":"x"}]}';
    expect(pick(doc, usageOf).picked.map((p) => [p.path[1], p.value, p.line])).toEqual([
      [0, { a: 1 }, 1],
      [1, [1, { b: null }], 1],
      [2, 'x', 1],
    ]);
  });

  it('does not pick a key of the same name deeper than asked (a tool result quoting usage)', () => {
    const doc = '{"messages":[{"content":[{"result":{"usage":{"inputTokens":999}}}]}]}';
    expect(pick(doc, usageOf).picked).toEqual([]);
  });

  it('says where a document stops being JSON, and picks nothing after that', () => {
    expect(pick('{"a":1,\n"b" 2}', () => false).error).toEqual({
      line: 2,
      kind: 'syntax',
      reason: '"2" where no value may stand',
    });
    expect(pick('[1,]', () => false).error?.reason).toBe('"]" closes nothing open here');
    expect(pick('{"a":[1}', () => false).error?.reason).toBe('"}" closes nothing open here');
    expect(pick('{"a":01}', () => false).error?.kind).toBe('syntax');
    expect(pick('{"a":"open\n"}', () => false).error).toMatchObject({ line: 1 });
    expect(pick('{} {}', () => false).error?.reason).toBe('"{" where no value may stand');
    expect(pick('{"a":"\\x"}', (p) => p[0] === 'a').error?.kind).toBe('syntax');
  });

  it('tells a byte that is not UTF-8 outside a string from one inside a string (harmless there)', () => {
    expect(pick('{"a":\uFFFD}', () => false).error).toMatchObject({ kind: 'notUtf8', line: 1 });
    expect(pick('{"a":"caf\uFFFD"}', (p) => p[0] === 'a')).toEqual({
      picked: [{ path: ['a'], value: 'caf\uFFFD', line: 1 }],
      error: null,
    });
  });

  it('reports a document that ends open at its last line, and nothing for a blank one', () => {
    expect(pick('{\n"a": [1,\n2', () => false).error).toEqual({
      line: 3,
      kind: 'unclosed',
      reason: 'the document ends before it closes',
    });
    expect(pick('\n  \n', () => false).error).toBeNull();
  });

  it('decodes keys only to maxDepth: deeper paths carry empty keys', () => {
    const paths: string[] = [];
    const p = pickJson(
      (path) => {
        paths.push(path.join('.'));
        return false;
      },
      1,
      () => {},
    );
    p.line('{"a":{"b":{"c":1}}}', 1);
    expect(p.end()).toBeNull();
    expect(paths).toEqual(['', 'a', 'a.', 'a..']);
  });
});
