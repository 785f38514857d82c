import { emptyAttribution, type UnpricedEvent } from '../ledger/event.js';

/**
 * An unpriced event with every field at a neutral default, for tests, demos and benchmarks that only care about a
 * few fields: `unpricedEvent({ model: 'gpt-4o', input_tokens: 1000 })`.
 */
export function unpricedEvent(fields: Partial<UnpricedEvent> = {}): UnpricedEvent {
  return {
    event_id: 'e1',
    source: 'test',
    source_ref: null,
    ingested_at: 0,
    ts: Date.parse('2025-10-01T12:00:00Z') * 1000,
    duration_ms: null,
    ttft_ms: null,
    ...emptyAttribution(),
    provider: null,
    model: 'unknown',
    model_requested: null,
    operation: null,
    service_tier: null,
    route_id: null,
    requests: 1,
    input_tokens: 0,
    cache_read_tokens: 0,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: 0,
    reasoning_tokens: 0,
    web_search_requests: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
    energy_j: null,
    energy_source: null,
    status: 'ok',
    error_type: null,
    provider_cost_usd: null,
    given_cost: null,
    ...fields,
  };
}
