import { count, type MeteredUsage, obj, type ResponseFacts, str } from '../provider.js';

/**
 * A Realtime API response's usage (`response.done`'s `response.usage`) in the ledger's convention. Its input counts
 * text, audio and image tokens together, cached ones included (`input_token_details.cached_tokens`, split by
 * modality in `cached_tokens_details`); its output text and audio. The ledger's input excludes the cached part, and
 * its audio and image input are the uncached audio and images, billed at the model's audio and image input rates;
 * cached ones are cache reads (docs/pricing.md, "Audio"). Realtime models report no reasoning apart.
 */
export function realtimeUsage(u: Record<string, unknown>): MeteredUsage {
  const inDetails = obj(u.input_token_details);
  const input = count(u.input_tokens);
  const cached = Math.min(count(inDetails?.cached_tokens), input);
  const cachedDetails = obj(inDetails?.cached_tokens_details);
  const uncached = input - cached;
  const output = count(u.output_tokens);
  const audioIn = Math.min(
    Math.max(count(inDetails?.audio_tokens) - count(cachedDetails?.audio_tokens), 0),
    uncached,
  );
  return {
    input_tokens: uncached,
    cache_read_tokens: cached,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: output,
    reasoning_tokens: 0,
    web_search_requests: 0,
    input_audio_tokens: audioIn,
    output_audio_tokens: Math.min(count(obj(u.output_token_details)?.audio_tokens), output),
    // Images sent into the session: uncached ones, in what the audio leaves of the uncached input.
    input_image_tokens: Math.min(
      Math.max(count(inDetails?.image_tokens) - count(cachedDetails?.image_tokens), 0),
      uncached - audioIn,
    ),
  };
}

/** What a `response.done` event's response says: its usage (null when it has none), id and service tier. */
export function realtimeFacts(response: Record<string, unknown>, model: string | null): ResponseFacts {
  const usage = obj(response.usage);
  return {
    usage: usage === null ? null : realtimeUsage(usage),
    model,
    service_tier: null,
    response_id: str(response.id),
  };
}
