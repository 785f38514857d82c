import { describe, expect, it } from 'vitest';
import { OpenAiImageStreamMeter } from './image-stream-meter.js';

const IMAGE = 'iVBORw0KGgo'.repeat(20_000);
const USAGE = {
  input_tokens: 50,
  input_tokens_details: { text_tokens: 50, image_tokens: 0 },
  output_tokens: 4160,
  total_tokens: 4210,
};
const event = (type: string, fields: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, b64_json: IMAGE, size: '1024x1024', ...fields })}\n\n`;
const STREAM = Buffer.from(
  [
    event('image_generation.partial_image', { partial_image_index: 0 }),
    event('image_generation.partial_image', { partial_image_index: 1 }),
    event('image_generation.completed', { usage: USAGE }),
  ].join(''),
);

/** The meter fed `stream` in reads of `size` bytes, and what it forwarded. */
function run(stream: Buffer, size: number) {
  const m = new OpenAiImageStreamMeter();
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; at += size) out.push(m.push(stream.subarray(at, at + size)));
  expect(m.end()).toBeNull();
  return { m, out: Buffer.concat(out) };
}

describe('OpenAiImageStreamMeter', () => {
  for (const size of [7, 65_536, STREAM.length])
    it(`reads the usage of the completed event and passes every byte on (reads of ${size} bytes)`, () => {
      const { m, out } = run(STREAM, size);
      expect(out.equals(STREAM)).toBe(true);
      expect(m.usageComplete()).toBe(true);
      expect(m.facts().usage).toMatchObject({
        input_tokens: 50,
        output_tokens: 4160,
        output_image_tokens: 4160,
      });
      expect(m.error()).toBeNull();
    });

  it('a stream left before its completed event: no usage, and no text to count', () => {
    const { m } = run(STREAM.subarray(0, STREAM.indexOf('event: image_generation.completed')), 65_536);
    expect(m.usageComplete()).toBe(false);
    expect(m.facts().usage).toBeNull();
    expect(m.outputText()).toBe('');
  });

  it("names the error an upstream sends in the stream (the Responses API's error event shape)", () => {
    const error = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'image_generation_user_error', code: 'moderation_blocked', message: 'blocked' } })}\n\n`;
    const { m } = run(
      Buffer.from(event('image_generation.partial_image', { partial_image_index: 0 }) + error),
      1000,
    );
    expect(m.error()).toEqual({ type: 'image_generation_user_error', usageFinal: false });
  });
});
