/**
 * One entry of the Cursor Admin API `POST /teams/filtered-usage-events` → one event (one request). Cursor reports
 * `inputTokens` apart from cache reads and writes (the documented example has 126 input beside 11,964 cache-read
 * tokens), which is the ledger's convention. `totalCents` is a JSON number of cents: read through its shortest
 * decimal string at 10 fractional digits of cents, which is exactly pico-dollars.
 */
import type { UnpricedEvent } from '../../ledger/event.js';
import { eventId } from '../../ledger/event-id.js';
import { SCALE } from '../../money/money.js';
import {
  childPath,
  FIELD_SKIP,
  numberAmountAt,
  type Obj,
  optBool,
  optCount,
  optObjAt,
  optStr,
  RecordError,
} from '../json-fields.js';
import { vendorOfModel } from '../model-vendor.js';
import { blankEvent } from '../provider-records.js';
import type { ParseContext } from '../source.js';

export const CURSOR_SOURCE = 'cursor';
const CENTS_SCALE = SCALE - 2;
const UNREPORTED_MODEL = 'unknown';

/** `"1750979225854"` (epoch ms as a string, as the API sends it) or a number → epoch µs. */
function timestampMicros(o: Obj): { text: string; us: number } {
  const v = o.value.timestamp;
  const text = typeof v === 'number' ? String(v) : v;
  const path = childPath(o.path, 'timestamp');
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text)) {
    throw new RecordError(
      FIELD_SKIP.badRecord,
      `${path}: expected epoch milliseconds like "1750979225854", got ${JSON.stringify(v) ?? 'nothing (field missing)'}`,
      path,
    );
  }
  const us = Number(text) * 1000;
  if (!Number.isSafeInteger(us)) {
    throw new RecordError(
      FIELD_SKIP.numberTooLarge,
      `${path}: ${text} ms is past what the ledger can hold`,
      path,
    );
  }
  return { text, us };
}

export function cursorEvent(o: Obj, ref: string, ctx: ParseContext): UnpricedEvent {
  const time = timestampMicros(o);
  const email = optStr(o, 'userEmail');
  const model = optStr(o, 'model');
  const kind = optStr(o, 'kind') ?? optStr(o, 'kindLabel');
  const maxMode = optBool(o, 'maxMode');
  const tokenBased = optBool(o, 'isTokenBasedCall');
  const usage = optObjAt(o, 'tokenUsage');
  const input = usage ? optCount(usage, 'inputTokens') : 0;
  const output = usage ? optCount(usage, 'outputTokens') : 0;
  const cacheWrite = usage ? optCount(usage, 'cacheWriteTokens') : 0;
  const cacheRead = usage ? optCount(usage, 'cacheReadTokens') : 0;
  const hasCents = usage !== null && usage.value.totalCents !== undefined && usage.value.totalCents !== null;
  const cents = hasCents ? numberAmountAt(usage, 'totalCents', CENTS_SCALE) : null;

  const e = blankEvent(ctx, {
    // Usage events carry no id of their own: the whole record is its identity.
    event_id: eventId(
      CURSOR_SOURCE,
      time.text,
      email,
      model,
      kind,
      String(maxMode),
      input,
      output,
      cacheWrite,
      cacheRead,
      hasCents ? String(usage.value.totalCents) : null,
    ),
    source: CURSOR_SOURCE,
    source_ref: `${ref}#${o.path}`,
    ts: time.us,
    model: model ?? UNREPORTED_MODEL,
  });
  e.model_requested = model;
  e.provider = model ? vendorOfModel(model) : null;
  e.agent = 'cursor';
  e.user = email ?? e.user;
  e.requests = 1;
  e.input_tokens = input;
  e.output_tokens = output;
  e.cache_read_tokens = cacheRead;
  // Cursor does not say which cache TTL it wrote; Anthropic's default (5 minutes) is the likely one.
  e.cache_write_5m_tokens = cacheWrite;
  e.provider_cost_usd = cents;
  if (kind !== null) e.tags.kind = kind;
  if (maxMode !== null) e.tags.max_mode = String(maxMode);
  if (tokenBased !== null) e.tags.is_token_based_call = String(tokenBased);
  const requestsCosts = o.value.requestsCosts;
  if (typeof requestsCosts === 'number' && Number.isFinite(requestsCosts))
    e.tags.requests_costs = String(requestsCosts);
  if (model === null) e.tags.model_unreported = 'true';
  return e;
}
