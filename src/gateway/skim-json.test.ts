import { describe, expect, it } from 'vitest';
import { SKIM_ABOVE_BYTES, skimmedText, withoutLongValues } from './skim-json.js';

/** The JSON in `body` with its strings and arrays of numbers over `longest` bytes left out; null when not JSON. */
function skimJson(body: Buffer, longest: number): unknown {
  try {
    return JSON.parse(withoutLongValues(body, longest).toString('utf8'));
  } catch {
    return null;
  }
}

const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('withoutLongValues, parsed', () => {
  it('reads JSON without long values exactly as JSON.parse does', () => {
    const answer = {
      id: 'resp_1',
      model: 'gpt-image-1',
      data: [{ revised_prompt: 'a lighthouse', url: null }],
      usage: { input_tokens: 50, output_tokens: 4160, input_tokens_details: { text_tokens: 50 } },
      n: [1, 2.5, -3e-7, true, false, null],
    };
    expect(skimJson(bytes(answer), 32)).toEqual(answer);
  });

  it('reads every string longer than the limit as empty, and keeps the rest', () => {
    const image = 'iVBORw0KGgo'.repeat(10);
    const answer = {
      created: 1,
      data: [{ b64_json: image }, { b64_json: image }],
      usage: { total_tokens: 9 },
    };
    expect(skimJson(bytes(answer), 100)).toEqual({
      created: 1,
      data: [{ b64_json: '' }, { b64_json: '' }],
      usage: { total_tokens: 9 },
    });
    // A string of exactly the limit is kept.
    expect(skimJson(bytes({ s: 'x'.repeat(100) }), 100)).toEqual({ s: 'x'.repeat(100) });
  });

  it('finds where a string ends past escaped quotes and backslashes', () => {
    const tricky = { a: 'say \\"hi\\" \\\\', b: 'ends in a backslash \\', c: '"quoted"', d: 'x'.repeat(50) };
    expect(skimJson(bytes(tricky), 40)).toEqual({ ...tricky, d: '' });
    // An escaped quote inside a long string does not end it early.
    const long = { text: `${'y'.repeat(60)}\\"${'z'.repeat(60)}`, usage: { output_tokens: 3 } };
    expect(skimJson(bytes(long), 40)).toEqual({ text: '', usage: { output_tokens: 3 } });
  });

  it('keeps multi-byte UTF-8 whole, counting the limit in bytes', () => {
    expect(skimJson(bytes({ s: 'é'.repeat(10) }), 20)).toEqual({ s: 'é'.repeat(10) });
    expect(skimJson(bytes({ s: 'é'.repeat(11) }), 20)).toEqual({ s: '' });
  });

  it('reads every array of numbers longer than the limit as empty, nested ones too, and keeps arrays of more', () => {
    const vector = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? -i / 7 : i * 1e-5));
    const answer = {
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: vector },
        { object: 'embedding', index: 1, embedding: [0.5, 1] },
      ],
      matrix: [vector, [1, 2], [true, null, false]],
      items: [{ a: 1 }, {}, { b: [1, 2, 3] }],
      empties: Array.from({ length: 40 }, () => ({})), // 120 bytes of `{},`
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 8, total_tokens: 8 },
    };
    expect(skimJson(bytes(answer), 100)).toEqual({
      ...answer,
      data: [
        { object: 'embedding', index: 0, embedding: [] },
        { object: 'embedding', index: 1, embedding: [0.5, 1] },
      ],
      matrix: [[], [1, 2], [true, null, false]],
    });
    // Arrays holding strings or objects are read as they are, whatever their length.
    const words = { tags: Array.from({ length: 40 }, (_, i) => `t${i}`), usage: { total_tokens: 1 } };
    expect(skimJson(bytes(words), 20)).toEqual(words);
    // An array of exactly the limit is kept.
    const exact = Buffer.from(`{"v":[${'1,'.repeat(49)}1]}`);
    expect(skimJson(exact, 99)).toEqual(JSON.parse(exact.toString()));
  });

  it('keeps what follows a long array as it is, an unclosed one too', () => {
    const body = `{"embedding":[${'0.25,'.repeat(300)}0.5],"usage":{"prompt_tokens":3}}`;
    expect(withoutLongValues(Buffer.from(body), 100).toString()).toBe(
      '{"embedding":[],"usage":{"prompt_tokens":3}}',
    );
    expect(skimJson(Buffer.from(`{"embedding":[${'0.25,'.repeat(300)}`), 100)).toBeNull();
  });

  it('gives null for what is not JSON, as the whole parse would', () => {
    expect(skimJson(Buffer.from('{"usage": {"input_tokens": 5}'), 8)).toBeNull();
    expect(skimJson(Buffer.from('{"text": "never closed'), 8)).toBeNull();
    expect(skimJson(Buffer.from('plain transcript text'), 8)).toBeNull();
    expect(skimJson(Buffer.alloc(0), 8)).toBeNull();
  });
});

describe('withoutLongValues', () => {
  it('empties long strings inside an SSE event and leaves its fields as they are', () => {
    const event = `event: image_generation.completed\ndata: {"type":"image_generation.completed","b64_json":"${'A'.repeat(500)}","usage":{"input_tokens":50}}\n\n`;
    expect(withoutLongValues(Buffer.from(event), 100).toString()).toBe(
      'event: image_generation.completed\ndata: {"type":"image_generation.completed","b64_json":"","usage":{"input_tokens":50}}\n\n',
    );
  });

  it('returns the same buffer when nothing is left out', () => {
    const b = bytes({ a: 'short' });
    expect(withoutLongValues(b, 100)).toBe(b);
  });
});

describe('skimmedText', () => {
  it('leaves out strings over 1 KiB only in a text over 1 MiB', () => {
    const vector = 'QUJD'.repeat(2048); // 8 kB of base64, as a 1536-dimension embedding is
    const small = bytes({ data: [{ embedding: vector }], usage: { prompt_tokens: 8 } });
    expect(skimmedText(small)).toBe(small.toString());
    const large = bytes({ data: Array(200).fill({ embedding: vector }), usage: { prompt_tokens: 1600 } });
    expect(large.length).toBeGreaterThan(SKIM_ABOVE_BYTES);
    expect(JSON.parse(skimmedText(large))).toEqual({
      data: Array(200).fill({ embedding: '' }),
      usage: { prompt_tokens: 1600 },
    });
  });
});
