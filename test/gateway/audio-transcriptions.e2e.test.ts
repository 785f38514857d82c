import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentMp3, silentWav } from '../helpers/audio.js';
import { TRANSCRIPTION_USAGE, WORDS } from './fake-provider.js';
import { type Harness, startHarnessWithConfig } from './helpers.js';

// The Audio API's transcriptions (https://platform.openai.com/docs/api-reference/audio/createTranscription): the audio
// file and its fields in a multipart/form-data body; gpt-4o-transcribe answers with token usage, audio apart
// (`input_token_details.audio_tokens`). The official openai client sends them; the fake answers as OpenAI does.

let h: Harness;
let client: OpenAI;

// A few bytes of "audio" with line breaks and a boundary-like run in them, which must reach the upstream unchanged.
const AUDIO = Buffer.concat([Buffer.from('RIFF\r\n\r\n--boundary\r\n'), Buffer.alloc(2048, 9)]);

beforeAll(async () => {
  h = await startHarnessWithConfig(
    ['models:', '  aliases: { stt: gpt-4o-mini-transcribe }', 'timeouts: { idle_ms: 300 }', ''].join('\n'),
  );
  client = new OpenAI({ apiKey: 'sk-caller', baseURL: `${h.server.url}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

const audio = () => toFile(AUDIO, 'speech.wav', { type: 'audio/wav' });

describe('audio transcriptions through the gateway (official openai client)', () => {
  it('meters a transcription from its token usage, its audio at the audio rate, and passes the file unchanged', async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ file: await audio(), model: 'gpt-4o-transcribe' })
      .withResponse();
    expect(data.text).toBe(WORDS.join(''));
    const sent = h.fake.requests.at(-1)!.form!;
    expect(sent.fields.model).toBe('gpt-4o-transcribe');
    expect(sent.file!.equals(AUDIO)).toBe(true);

    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    const u = TRANSCRIPTION_USAGE;
    expect(e).toMatchObject({
      operation: 'transcription',
      status: 'ok',
      error_type: null,
      cost_source: 'computed',
      model_requested: 'gpt-4o-transcribe',
      input_tokens: u.input_tokens,
      input_audio_tokens: u.input_token_details.audio_tokens,
      output_tokens: u.output_tokens,
    });
    // gpt-4o-transcribe per 1M tokens: text input 2.50, audio input 6, output 10: 10 × 2.5 + 50 × 6 + 12 × 10.
    expect(e.cost_usd).toBe(445_000_000n);
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.000445000000');
  });

  it('sends the model an alias names, rewriting only that field of the form', async () => {
    const { response } = await client.audio.transcriptions
      .create({ file: await audio(), model: 'stt', language: 'en' })
      .withResponse();
    const sent = h.fake.requests.at(-1)!.form!;
    expect(sent.fields).toEqual({ model: 'gpt-4o-mini-transcribe', language: 'en' });
    expect(sent.file!.equals(AUDIO)).toBe(true);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    // gpt-4o-mini-transcribe per 1M tokens: text input 1.25, audio input 3, output 5.
    expect(e).toMatchObject({ model_requested: 'gpt-4o-mini-transcribe', cost_usd: 222_500_000n });
  });

  it('meters a streamed transcription from its transcript.text.done event', async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ file: await audio(), model: 'gpt-4o-transcribe', stream: true })
      .withResponse();
    const types: string[] = [];
    for await (const event of data) types.push(event.type);
    expect(types).toEqual([...WORDS.map(() => 'transcript.text.delta'), 'transcript.text.done']);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    expect(e).toMatchObject({ operation: 'transcription', status: 'ok', cost_usd: 445_000_000n });
    expect(e.ttft_ms).not.toBeNull();
  });

  it("bills whisper-1's transcription by the seconds of audio it reports, not tokens", async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ file: await audio(), model: 'whisper-1' })
      .withResponse();
    expect(data.usage).toEqual({ type: 'duration', seconds: 4 });
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    // whisper-1: $0.006 a minute ($0.36 an hour): 4,000 ms × $0.36 / 3,600,000 ms = $0.0004.
    expect(e).toMatchObject({
      status: 'ok',
      error_type: null,
      cost_source: 'computed',
      audio_ms: 4_000,
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 400_000_000n,
    });
    expect(response.headers.get('x-tokenledger-cost-usd')).toBe('0.000400000000');
  });

  it('estimates a transcription asked for as plain text, which carries no usage, from its text', async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ file: await audio(), model: 'gpt-4o-transcribe', response_format: 'text' })
      .withResponse();
    expect(data).toBe(WORDS.join(''));
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    // The audio's tokens are not known: only the transcript's, counted with the tokenizer.
    expect(e).toMatchObject({ status: 'ok', error_type: 'usage_missing', cost_source: 'estimated' });
    expect(e.output_tokens).toBeGreaterThan(0);
  });

  it("estimates whisper-1's transcription asked for as text, which carries no usage, from the audio's length", async () => {
    const wav = silentWav(3.25);
    const { data, response } = await client.audio.transcriptions
      .create({
        file: await toFile(wav, 'memo.wav', { type: 'audio/wav' }),
        model: 'whisper-1',
        response_format: 'text',
      })
      .withResponse();
    expect(data).toBe(WORDS.join(''));
    expect(h.fake.requests.at(-1)!.form!.file!.equals(wav)).toBe(true);
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    // whisper-1 bills the audio, not tokens: 3,250 ms × $0.36 / 3,600,000 ms = $0.000325.
    expect(e).toMatchObject({
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'estimated',
      audio_ms: 3_250,
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 325_000_000n,
    });
  });

  it('refuses a JSON body with a 400 that says the route takes multipart/form-data', async () => {
    const r = await fetch(`${h.server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-caller' },
      body: JSON.stringify({ model: 'gpt-4o-transcribe' }),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({
      error: { code: 'GW_BAD_REQUEST', message: expect.stringContaining('multipart/form-data') },
    });
  });
});

describe('audio translations through the gateway (official openai client)', () => {
  // Translations (https://platform.openai.com/docs/api-reference/audio/createTranslation) are whisper-1's alone, and
  // their answers carry no usage in any format: each is estimated from the length of the audio sent.
  const mp3 = silentMp3(383); // 10,004.9 ms

  for (const format of ['json', 'verbose_json', 'text'] as const)
    it(`meters a translation answered as ${format} by the length of its audio, passing the file unchanged`, async () => {
      const { response } = await client.audio.translations
        .create({
          file: await toFile(mp3, 'interview.mp3', { type: 'audio/mpeg' }),
          model: 'whisper-1',
          response_format: format,
        })
        .withResponse();
      const sent = h.fake.requests.at(-1)!;
      expect(sent.path).toBe('/v1/audio/translations');
      expect(sent.form!.file!.equals(mp3)).toBe(true);
      const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
      // 10,005 ms × $0.36 / 3,600,000 ms = $0.0010005.
      expect(e).toMatchObject({
        operation: 'translation',
        model_requested: 'whisper-1',
        status: 'ok',
        error_type: 'usage_missing',
        cost_source: 'estimated',
        audio_ms: 10_005,
        output_tokens: 0,
        cost_usd: 1_000_500_000n,
      });
    });

  it('estimates a translation whose answer never came from its file, as a token call is from its prompt', async () => {
    const before = (await h.all()).length;
    await expect(
      client.audio.translations.create({
        file: await toFile(silentWav(2), 'memo.wav', { type: 'audio/wav' }),
        model: 'whisper-1',
        prompt: 'stall',
      }),
    ).rejects.toMatchObject({ status: 504 });
    const events = await h.all();
    expect(events).toHaveLength(before + 1);
    // 2,000 ms × $0.36 / 3,600,000 ms = $0.0002.
    expect(events.find((e) => e.operation === 'translation' && e.status === 'error')).toMatchObject({
      error_type: 'upstream_timeout',
      cost_source: 'estimated',
      audio_ms: 2_000,
      cost_usd: 200_000_000n,
    });
  });

  it('leaves a translation of a file it cannot read unpriced, not free', async () => {
    const { response } = await client.audio.translations
      .create({ file: await toFile(Buffer.from('not audio at all'), 'x.mp3'), model: 'whisper-1' })
      .withResponse();
    const e = await h.event(response.headers.get('x-tokenledger-event-id')!);
    // Its length is not known: its text is counted as any answer without usage is, and whisper-1 prices no tokens.
    expect(e).toMatchObject({
      status: 'ok',
      error_type: 'usage_missing',
      cost_source: 'unpriced',
      audio_ms: 0,
    });
    expect(e.output_tokens).toBeGreaterThan(0);
  });
});
