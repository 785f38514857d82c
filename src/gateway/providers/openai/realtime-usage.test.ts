import { describe, expect, it } from 'vitest';
import { realtimeFacts, realtimeUsage } from './realtime-usage.js';

// Shapes from the Realtime API reference (RealtimeResponseUsage): input counts cached tokens; details by modality.
describe('realtimeUsage', () => {
  it('splits cached tokens out of the input, and counts only uncached audio as audio input', () => {
    const u = realtimeUsage({
      total_tokens: 1900,
      input_tokens: 1500,
      output_tokens: 400,
      input_token_details: {
        text_tokens: 700,
        audio_tokens: 800,
        image_tokens: 0,
        cached_tokens: 1000,
        cached_tokens_details: { text_tokens: 500, audio_tokens: 500, image_tokens: 0 },
      },
      output_token_details: { text_tokens: 100, audio_tokens: 300 },
    });
    expect(u).toEqual({
      input_tokens: 500,
      cache_read_tokens: 1000,
      cache_write_5m_tokens: 0,
      cache_write_1h_tokens: 0,
      output_tokens: 400,
      reasoning_tokens: 0,
      web_search_requests: 0,
      input_audio_tokens: 300,
      output_audio_tokens: 300,
      input_image_tokens: 0,
    });
  });

  it('counts uncached images sent into the session as image input, within what the audio leaves', () => {
    const u = realtimeUsage({
      input_tokens: 1200,
      output_tokens: 50,
      input_token_details: {
        text_tokens: 100,
        audio_tokens: 300,
        image_tokens: 800,
        cached_tokens: 500,
        cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 500 },
      },
    });
    expect(u).toMatchObject({
      input_tokens: 700,
      cache_read_tokens: 500,
      input_audio_tokens: 300,
      input_image_tokens: 300,
    });
    expect(
      realtimeUsage({
        input_tokens: 10,
        output_tokens: 0,
        input_token_details: { audio_tokens: 6, image_tokens: 9 },
      }),
    ).toMatchObject({ input_tokens: 10, input_audio_tokens: 6, input_image_tokens: 4 });
  });

  it('reads a usage without details as text, and never more audio than the counts hold', () => {
    expect(realtimeUsage({ input_tokens: 10, output_tokens: 5 })).toMatchObject({
      input_tokens: 10,
      cache_read_tokens: 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
    });
    expect(
      realtimeUsage({
        input_tokens: 10,
        output_tokens: 5,
        input_token_details: { audio_tokens: 50, cached_tokens: 4 },
        output_token_details: { audio_tokens: 9 },
      }),
    ).toMatchObject({ input_tokens: 6, input_audio_tokens: 6, output_audio_tokens: 5 });
  });

  it('gives a response without usage no usage, with its id', () => {
    expect(realtimeFacts({ id: 'resp_1', status: 'failed' }, 'gpt-realtime')).toEqual({
      usage: null,
      model: 'gpt-realtime',
      service_tier: null,
      response_id: 'resp_1',
    });
  });
});
