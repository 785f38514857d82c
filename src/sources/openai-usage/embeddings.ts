/**
 * One result of `/v1/organization/usage/embeddings` → one aggregate event. Embeddings are billed per input token
 * (no output, no cache), so a saved embeddings page is spend like a completions page, not a mistake to refuse.
 * Fields (OpenAI API reference, "Embeddings usage object"): `input_tokens`, `num_model_requests` and the group keys
 * `project_id`, `user_id`, `api_key_id`, `model`.
 */
import type { UnpricedEvent } from '../../ledger/event.js';
import { count, type Obj } from '../json-fields.js';
import type { Bucket } from '../provider-records.js';
import type { ParseContext } from '../source.js';
import { groupedEvent } from './completions.js';

export function embeddingsEvent(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext): UnpricedEvent {
  const e = groupedEvent('embeddings', r, bucket, ref, ctx, []);
  e.input_tokens = count(r, 'input_tokens');
  return e;
}
