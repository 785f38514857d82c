/**
 * One result of `/v1/organization/usage/web_searches` → one aggregate event that carries the bucket's web search
 * calls. OpenAI bills each call of its web search tool apart from the tokens (docs/pricing.md, "Web search"), and
 * the completions page does not count them, so a saved web searches page is spend, not a mistake to refuse.
 * Fields (openai/openai-ruby lib/openai/models/admin/organization/usage_web_search_calls_response.rb, generated from
 * OpenAI's spec): `num_requests` ("The count of web search calls"), `num_model_requests`, and the group keys
 * `project_id`, `user_id`, `api_key_id`, `model`, `context_level` (the search context size).
 */
import type { UnpricedEvent } from '../../ledger/event.js';
import { count, type Obj, optStr } from '../json-fields.js';
import type { Bucket } from '../provider-records.js';
import type { ParseContext } from '../source.js';
import { groupedEvent } from './completions.js';

export function webSearchesEvent(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext): UnpricedEvent {
  const contextLevel = optStr(r, 'context_level');
  const e = groupedEvent('web_searches', r, bucket, ref, ctx, [contextLevel]);
  e.web_search_requests = count(r, 'num_requests');
  // num_model_requests counts the calls that searched; the completions page of the same bucket counts them, with
  // their tokens, so counting them here as well would count each call twice.
  e.requests = 0;
  if (contextLevel !== null) e.tags.context_level = contextLevel;
  return e;
}
