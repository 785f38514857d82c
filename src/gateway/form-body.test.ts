import { describe, expect, it } from 'vitest';
import { formFields, withFormModel } from './form-body.js';

/** A multipart body as the platform's FormData encodes it (what the openai SDK sends), with its content-type. */
async function encoded(fields: [string, string | Blob][]): Promise<{ raw: Buffer; type: string }> {
  const form = new FormData();
  for (const [name, value] of fields) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, 'speech.wav');
  }
  const r = new Response(form);
  return { raw: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type')! };
}

// Audio bytes with line breaks and a boundary-like run in them: only a real delimiter may end a part.
const AUDIO = Buffer.concat([
  Buffer.from('RIFF\r\n\r\n--not-a-boundary\r\nname="model"\r\n'),
  Buffer.alloc(64, 7),
]);

describe('formFields', () => {
  it('reads the text fields, files left out, stream as a boolean', async () => {
    const { raw, type } = await encoded([
      ['file', new Blob([AUDIO])],
      ['model', 'gpt-4o-transcribe'],
      ['stream', 'true'],
      ['prompt', 'A call about invoices.'],
    ]);
    expect(await formFields(raw, type)).toEqual({
      model: 'gpt-4o-transcribe',
      stream: true,
      prompt: 'A call about invoices.',
    });
  });

  it('refuses a body that is not multipart/form-data, saying what it got', async () => {
    await expect(formFields(Buffer.from('{}'), 'application/json')).rejects.toMatchObject({
      code: 'GW_BAD_REQUEST',
      message: expect.stringContaining('"application/json"'),
    });
    await expect(
      formFields(Buffer.from('--x\r\nnot a part'), 'multipart/form-data; boundary=x'),
    ).rejects.toMatchObject({ code: 'GW_BAD_REQUEST' });
  });
});

describe('withFormModel', () => {
  for (const order of ['model first', 'file first'] as const)
    it(`replaces the model's value and keeps every other byte (${order})`, async () => {
      const fields: [string, string | Blob][] = [
        ['model', 'voice'],
        ['file', new Blob([AUDIO])],
      ];
      if (order === 'file first') fields.reverse();
      const { raw, type } = await encoded([...fields, ['language', 'en']]);
      const out = withFormModel(raw, type, 'gpt-4o-mini-transcribe');
      expect(out.length).toBe(raw.length - 'voice'.length + 'gpt-4o-mini-transcribe'.length);
      expect(await formFields(out, type)).toEqual({ model: 'gpt-4o-mini-transcribe', language: 'en' });
      const file = (await new Response(out, { headers: { 'content-type': type } }).formData()).get(
        'file',
      ) as Blob;
      expect(Buffer.from(await file.arrayBuffer()).equals(AUDIO)).toBe(true);
    });

  it('leaves a body without a model field as it is', async () => {
    const { raw, type } = await encoded([['file', new Blob([AUDIO])]]);
    expect(withFormModel(raw, type, 'x')).toBe(raw);
  });
});

describe('formFields, the Images API', () => {
  it('reads `n` and `partial_images` as numbers, as in a JSON request, for budget admission', async () => {
    const { raw, type } = await encoded([
      ['image[]', new Blob([AUDIO])],
      ['model', 'gpt-image-1'],
      ['n', '3'],
      ['partial_images', '2'],
      ['size', '1024x1024'],
    ]);
    expect(await formFields(raw, type)).toEqual({
      model: 'gpt-image-1',
      n: 3,
      partial_images: 2,
      size: '1024x1024',
    });
  });

  it('leaves a value that is not a whole number as text, for the upstream to refuse', async () => {
    const { raw, type } = await encoded([
      ['model', 'gpt-image-1'],
      ['n', 'two'],
    ]);
    expect(await formFields(raw, type)).toEqual({ model: 'gpt-image-1', n: 'two' });
  });
});
