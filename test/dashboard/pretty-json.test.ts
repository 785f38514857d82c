import { describe, expect, it } from 'vitest';
import { prettyJson } from '../../web/src/pretty-json.js';

describe("a call's request on the event page", () => {
  it('is indented as JSON.stringify would indent it, when it is JSON', () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'a "quoted" {brace}, [bracket]: colon \\ backslash\nline ü' }],
      tools: [],
      metadata: {},
      stream: true,
      temperature: null,
    };
    expect(prettyJson(JSON.stringify(body))).toBe(JSON.stringify(body, null, 2));
    // Whitespace the client sent between tokens does not matter; inside strings it is kept.
    expect(prettyJson('{ "a" :\t[ 1 ,2 ],\r\n "b": " x  y " }')).toBe(
      '{\n  "a": [\n    1,\n    2\n  ],\n  "b": " x  y "\n}',
    );
  });

  it('keeps numbers digit for digit: a large seed is not rounded, 1.0 stays 1.0', () => {
    expect(prettyJson('{"seed":12345678901234567890,"temperature":1.0,"top_p":1e-3}')).toBe(
      '{\n  "seed": 12345678901234567890,\n  "temperature": 1.0,\n  "top_p": 1e-3\n}',
    );
  });

  it('is left as it is when it is not JSON', () => {
    for (const text of ['plain words', '{"cut off": ', '', '<b>x</b>']) expect(prettyJson(text)).toBe(text);
  });
});
