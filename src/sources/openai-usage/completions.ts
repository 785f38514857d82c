/**
 * One result of `/v1/organization/usage/completions` → one aggregate event. OpenAI counts cached tokens (and, on newer
 * pages, cache writes) inside `input_tokens`; the ledger keeps them apart, so
 * input = input_tokens − input_cached_tokens − input_cache_write_tokens.
 */
import type { UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { count, FIELD_SKIP, type Obj, optBool, optCount, optStr, RecordError } from '../json-fields.js';
import { type Bucket, blankEvent, laterGroupKeys } from '../provider-records.js';
import type { ParseContext } from '../source.js';

export const OPENAI_USAGE_SOURCE = 'openai-usage';

/** Model of a result that was not grouped by model: kept (its tokens are real) but left for pricing to flag. */
export const UNREPORTED_MODEL = 'unknown';

export function completionsEvent(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext): UnpricedEvent {
  const input = count(r, 'input_tokens');
  const cached = optCount(r, 'input_cached_tokens');
  // Newer pages also count prompt-cache writes inside input_tokens ("including cached and cache-write tokens");
  // they are billed at the cache-write price, not the input price.
  const cacheWrite = optCount(r, 'input_cache_write_tokens');
  if (cached > input) {
    throw new RecordError(
      FIELD_SKIP.badRecord,
      `${r.path}.input_cached_tokens: ${cached} is more than input_tokens (${input}), which includes it; check the export`,
      `${r.path}.input_cached_tokens`,
    );
  }
  if (cached + cacheWrite > input) {
    throw new RecordError(
      FIELD_SKIP.badRecord,
      `${r.path}.input_cache_write_tokens: ${cacheWrite} plus ${cached} cached is more than input_tokens (${input}), which includes both; check the export`,
      `${r.path}.input_cache_write_tokens`,
    );
  }
  const batch = optBool(r, 'batch');
  const tier = optStr(r, 'service_tier');
  const audioIn = optCount(r, 'input_audio_tokens');
  const audioOut = optCount(r, 'output_audio_tokens');
  const imageIn = optCount(r, 'input_image_tokens');
  const imageOut = optCount(r, 'output_image_tokens');
  const e = groupedEvent('completions', r, bucket, ref, ctx, [batch === null ? null : String(batch), tier]);
  e.service_tier = batch === true ? 'batch' : tier;
  e.input_tokens = input - cached - cacheWrite;
  e.cache_read_tokens = cached;
  // OpenAI states no TTL for a cache write; the catalog's cache-write price is the 5-minute key.
  e.cache_write_5m_tokens = cacheWrite;
  e.output_tokens = count(r, 'output_tokens');
  // Audio tokens are parts of input_tokens and output_tokens, billed at audio rates. The input count includes cached
  // audio without saying how much: audio is taken as uncached input first, never more than it (docs/pricing.md).
  e.input_audio_tokens = Math.min(audioIn, e.input_tokens);
  e.output_audio_tokens = Math.min(audioOut, e.output_tokens);
  // Images likewise ("uncached image input tokens", "image output tokens"), in what the audio leaves of each whole.
  e.input_image_tokens = Math.min(imageIn, e.input_tokens - e.input_audio_tokens);
  e.output_image_tokens = Math.min(imageOut, e.output_tokens - e.output_audio_tokens);
  return e;
}

/**
 * The event of one usage result with what every OpenAI usage endpoint has in common: the bucket, the group keys
 * (`project_id`, `user_id`, `api_key_id`, `model`, then the endpoint's own `keys`, then those the API added later),
 * `num_model_requests`. The id holds the endpoint, the bucket bounds and every group key: the same result
 * re-imported has the same id, another grouping or endpoint does not.
 */
export function groupedEvent(
  endpoint: 'completions' | 'embeddings' | 'web_searches' | 'audio_transcriptions',
  r: Obj,
  bucket: Bucket,
  ref: string,
  ctx: ParseContext,
  keys: (string | null)[],
): UnpricedEvent {
  const model = optStr(r, 'model');
  const project = optStr(r, 'project_id');
  const user = optStr(r, 'user_id');
  const apiKey = optStr(r, 'api_key_id');
  const apiSource = optStr(r, 'api_source');
  const e = blankEvent(ctx, {
    event_id: eventId(
      OPENAI_USAGE_SOURCE,
      endpoint,
      bucket.start,
      bucket.end,
      project,
      user,
      apiKey,
      model,
      ...keys,
      // Group keys the API added later go in only when present, so ids of pages without them do not change.
      ...laterGroupKeys({ api_source: apiSource }),
    ),
    source: OPENAI_USAGE_SOURCE,
    source_ref: `${ref}#${r.path}`,
    ts: bucket.start,
    model: model ?? UNREPORTED_MODEL,
  });
  e.model_requested = model;
  e.provider = 'openai';
  e.operation = endpoint;
  e.project = project ?? e.project;
  e.user = user ?? e.user;
  e.api_key_id = apiKey;
  e.requests = count(r, 'num_model_requests');
  e.tags.bucket_seconds = String((bucket.end - bucket.start) / 1_000_000);
  if (apiSource !== null) e.tags.api_source = apiSource;
  if (model === null) e.tags.model_unreported = 'true';
  return e;
}
