import { describe, expect, it } from 'vitest';
import { replaceTopLevel } from './json-splice.js';

const splice = (json: string, key: string, value: string) =>
  replaceTopLevel(Buffer.from(json, 'utf8'), key, value)?.toString('utf8') ?? null;

describe('replaceTopLevel', () => {
  it('replaces only the top-level member, leaving every other byte (big integers, escapes, spacing) as sent', () => {
    const body =
      '{"model":"gpt-4o", "seed": 9007199254740993,\n "messages":[{"content":"a \\"stream_options\\": {} é\\u00e9","stream_options":1}],\n  "stream_options" : { "include_usage": false } , "temperature": 1.0}';
    expect(splice(body, 'stream_options', '{"include_usage":true}')).toBe(
      '{"model":"gpt-4o", "seed": 9007199254740993,\n "messages":[{"content":"a \\"stream_options\\": {} é\\u00e9","stream_options":1}],\n  "stream_options" : {"include_usage":true} , "temperature": 1.0}',
    );
  });

  it('finds a value at the end of the object, a scalar value, and the last of a repeated key', () => {
    expect(splice('{"a":1,"stream_options":null}', 'stream_options', '{"x":2}')).toBe(
      '{"a":1,"stream_options":{"x":2}}',
    );
    expect(splice('{"s":{"k":[1,{"s":2}]},"s":3 }', 's', '4')).toBe('{"s":{"k":[1,{"s":2}]},"s":4 }');
    expect(splice('{"a":{"stream_options":1}}', 'stream_options', '2')).toBeNull();
  });
});
