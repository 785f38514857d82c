/**
 * One result of `/v1/organization/usage/embeddings` → one aggregate event. Embeddings are billed per input token
 * (no output, no cache), so a saved embeddings page is spend like a completions page, not a mistake to refuse.
 * Fields (OpenAI API reference, "Embeddings usage object"): `input_tokens`, `num_model_requests` and the group keys
 * `project_id`, `user_id`, `api_key_id`, `model`.
 */
import type { UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { count, type Obj, optStr } from '../json-fields.js';
import { type Bucket, blankEvent, laterGroupKeys } from '../provider-records.js';
import type { ParseContext } from '../source.js';
import { OPENAI_USAGE_SOURCE, UNREPORTED_MODEL } from './completions.js';

export function embeddingsEvent(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext): UnpricedEvent {
  const model = optStr(r, 'model');
  const project = optStr(r, 'project_id');
  const user = optStr(r, 'user_id');
  const apiKey = optStr(r, 'api_key_id');
  const apiSource = optStr(r, 'api_source');
  const e = blankEvent(ctx, {
    // 'embeddings' keeps these ids apart from a completions result with the same bucket and group keys.
    event_id: eventId(
      OPENAI_USAGE_SOURCE,
      'embeddings',
      bucket.start,
      bucket.end,
      project,
      user,
      apiKey,
      model,
      ...laterGroupKeys({ api_source: apiSource }),
    ),
    source: OPENAI_USAGE_SOURCE,
    source_ref: `${ref}#${r.path}`,
    ts: bucket.start,
    model: model ?? UNREPORTED_MODEL,
  });
  e.model_requested = model;
  e.provider = 'openai';
  e.operation = 'embeddings';
  e.project = project ?? e.project;
  e.user = user ?? e.user;
  e.api_key_id = apiKey;
  e.requests = count(r, 'num_model_requests');
  e.input_tokens = count(r, 'input_tokens');
  e.tags.bucket_seconds = String((bucket.end - bucket.start) / 1_000_000);
  if (apiSource !== null) e.tags.api_source = apiSource;
  if (model === null) e.tags.model_unreported = 'true';
  return e;
}
