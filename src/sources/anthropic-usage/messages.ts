/**
 * One result of the Admin API `usage_report/messages` → one aggregate event. Anthropic already reports input
 * without cache reads and writes (`uncached_input_tokens`) and splits cache writes by TTL, which is the ledger's own
 * convention. The report has no request count, so `requests` is 0 and the event is tagged `requests_unreported`;
 * a row of the analytics API's usage_report (analytics-keys.ts) has one, and its own group keys.
 */
import { LONG_CONTEXT_TAG, type UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { anthropicServiceTier } from '../../pricing/anthropic-tier.js';
import { count, type Obj, optCount, optObjAt, optStr } from '../json-fields.js';
import { type Bucket, blankEvent, laterGroupKeys } from '../provider-records.js';
import type { ParseContext } from '../source.js';
import { analyticsGroupKeys } from './analytics-keys.js';

export const ANTHROPIC_USAGE_SOURCE = 'anthropic-usage';

/** The report's `context_window` values (Admin API reference, "Get Messages Usage Report") → tag `long_context`. */
const LONG_CONTEXT_BY_WINDOW: Record<string, string> = { '0-200k': 'false', '200k-1M': 'true' };

/** Model of a result that was not grouped by model: kept (its tokens are real) but left for pricing to flag. */
export const UNREPORTED_MODEL = 'unknown';

export function messagesEvent(r: Obj, bucket: Bucket, ref: string, ctx: ParseContext): UnpricedEvent {
  const model = optStr(r, 'model');
  const workspace = optStr(r, 'workspace_id');
  const apiKey = optStr(r, 'api_key_id');
  const tier = optStr(r, 'service_tier');
  const account = optStr(r, 'account_id');
  // Group keys that have no ledger field of their own: part of the identity, kept as tags.
  const extra = {
    context_window: optStr(r, 'context_window'),
    inference_geo: optStr(r, 'inference_geo'),
    service_account_id: optStr(r, 'service_account_id'),
    speed: optStr(r, 'speed'),
  };
  const analytics = analyticsGroupKeys(r);
  // The analytics API counts requests ("Number of API requests in this row's scope"); usage_report/messages does not.
  const requests = r.value.requests === undefined || r.value.requests === null ? null : count(r, 'requests');
  const cacheCreation = optObjAt(r, 'cache_creation');
  const serverTools = optObjAt(r, 'server_tool_use');

  const e = blankEvent(ctx, {
    event_id: eventId(
      ANTHROPIC_USAGE_SOURCE,
      'messages',
      bucket.start,
      bucket.end,
      workspace,
      apiKey,
      model,
      tier,
      account,
      extra.context_window,
      extra.inference_geo,
      extra.service_account_id,
      extra.speed,
      ...laterGroupKeys(analytics),
    ),
    source: ANTHROPIC_USAGE_SOURCE,
    source_ref: `${ref}#${r.path}`,
    ts: bucket.start,
    model: model ?? UNREPORTED_MODEL,
  });
  e.model_requested = model;
  e.provider = 'anthropic';
  e.operation = 'messages';
  e.project = workspace ?? e.project;
  e.user = account ?? e.user;
  e.api_key_id = apiKey;
  // Grouped by speed, a `fast` result was billed at the fast-mode prices (pricing.md, Batch and service tiers).
  e.service_tier = anthropicServiceTier(tier, extra.speed);
  e.input_tokens = count(r, 'uncached_input_tokens');
  e.cache_read_tokens = optCount(r, 'cache_read_input_tokens');
  e.cache_write_5m_tokens = cacheCreation ? optCount(cacheCreation, 'ephemeral_5m_input_tokens') : 0;
  e.cache_write_1h_tokens = cacheCreation ? optCount(cacheCreation, 'ephemeral_1h_input_tokens') : 0;
  e.output_tokens = count(r, 'output_tokens');
  // Billed at $10 per 1,000 (pricing/web-search.ts); `web_fetch_requests` costs tokens only and is not counted.
  e.web_search_requests = serverTools ? optCount(serverTools, 'web_search_requests') : 0;
  if (requests === null) e.tags.requests_unreported = 'true';
  else e.requests = requests;
  e.tags.bucket_seconds = String((bucket.end - bucket.start) / 1_000_000);
  for (const [k, v] of Object.entries({ ...extra, ...analytics })) if (v !== null) e.tags[k] = v;
  // The bucket sums many calls, so its total says nothing about one call's size; the context_window group does:
  // every call in `200k-1M` was billed at the long-context rates, none in `0-200k` was.
  const longContext = LONG_CONTEXT_BY_WINDOW[extra.context_window ?? ''];
  if (longContext !== undefined) e.tags[LONG_CONTEXT_TAG] = longContext;
  if (model === null) e.tags.model_unreported = 'true';
  return e;
}
