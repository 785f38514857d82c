import { z } from 'zod';
import { callContentJson } from '../../ledger/call-content.js';
import { readContent } from '../../ledger/content-audit.js';
import type { UsageEvent } from '../../ledger/event.js';
import { EVENT_FIELDS } from '../../ledger/event.js';
import { isLedgerId } from '../../ledger/event-id.js';
import { eventToRecord } from '../../ledger/serialize.js';
import { parseEventTime } from '../../ledger/time.js';
import { formatUsd } from '../../money/money.js';
import { audioFee, costOf, webSearchFee } from '../../pricing/cost.js';
import { type Cursor, type EventRange, eventPages, eventsPage } from '../../store/event-range.js';
import { ApiError, badParam } from './api-error.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { type ApiContext, endpoint, FileReply } from './endpoint.js';
import { csvRows } from './json.js';
import { countParam, format, rangeParams } from './params.js';
import { checkInRange, parseRange, requestFilters } from './query-input.js';
import { canSee } from './scope.js';

const record = z
  .record(z.string(), z.unknown())
  .describe('the canonical event record (docs/ledger.md) plus ts_us');

/** The canonical record plus `ts_us`, the exact epoch-µs time that addresses the event in /api/events/{id}. */
function eventJson(e: UsageEvent): Record<string, unknown> {
  return { ...eventToRecord(e, true), ts_us: e.ts };
}

export const eventsEndpoint = endpoint({
  method: 'GET',
  path: '/api/events',
  summary: 'The audit trail, newest first, with cursor pagination',
  params: {
    ...rangeParams,
    limit: countParam(1, 1000)
      .optional()
      .describe('events per page, 1-1000; default 50 (format=csv: how many, default every one)'),
    cursor: z.string().optional().describe('next_cursor from the previous page'),
    format: format.describe(
      'csv for a download: without a limit, every event of the range (after the cursor)',
    ),
  },
  response: z.object({ events: z.array(record), next_cursor: z.string().nullable() }),
  async handle(c, p, who) {
    const { since, until } = parseRange(p, c.now());
    const cursor = p.cursor === undefined ? null : decodeCursor(p.cursor);
    const filters = requestFilters(p.where, c.pricer, who);
    if (p.format === 'csv')
      return new FileReply(
        'text/csv; charset=utf-8',
        csvPages(c, { filters, since, until }, p.limit, cursor),
        'events.csv',
      );
    const page = await eventsPage(c.store, { filters, since, until }, p.limit ?? 50, cursor);
    const last = page.events.at(-1);
    return { events: page.events.map(eventJson), next_cursor: page.more && last ? encodeCursor(last) : null };
  },
});

const CSV_COLUMNS = [...EVENT_FIELDS, 'rates'];
/** Events a CSV download reads at a time: the memory it holds, whatever the range. */
const CSV_PAGE = 1000;

/**
 * The events as CSV, newest first: `limit` of them, or with none every event of the range, read a page at a time.
 * A download button means the range's events, not the first page of them cut off without a word.
 */
async function* csvPages(
  c: ApiContext,
  r: EventRange,
  limit: number | undefined,
  after: Cursor | null,
): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\n`;
  for await (const page of eventPages(c.store, r, CSV_PAGE, {
    after,
    ...(limit === undefined ? {} : { limit }),
  }))
    yield csvRows(page.map(eventJson), CSV_COLUMNS);
}

/**
 * How the event's cost was computed, part by part, with the formula of pricing/cost.ts recomputed here so the
 * page can show that the stored cost and the formula agree.
 */
function costExplanation(e: UsageEvent) {
  if (e.rates === null)
    return {
      method: e.cost_source,
      note:
        e.cost_source === 'unpriced'
          ? 'no price was known for this model when it was recorded; its cost is unknown, not zero'
          : 'the cost was given by the record (provider or imported ledger), not computed from rates',
      recomputed: null,
    };
  const parts = {
    ...costOf(e, e.rates),
    web_search_fee: webSearchFee(e, e.rates),
    audio_fee: audioFee(e, e.rates),
  };
  if (!usedAnything(e))
    return {
      method: 'computed',
      note: 'the call used no tokens, no paid searches and no audio billed by its duration: it costs exactly $0 at any price, so it needs none',
      recomputed: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, formatUsd(v)])),
      matches: parts.cost_usd === e.cost_usd,
    };
  return {
    method: 'computed',
    formula:
      'part = round_half_even(tokens × rate_per_1M / 10^6), audio and image tokens at their own rates (input = (input_tokens − input_audio_tokens − input_image_tokens) × input + input_audio_tokens × input_audio + input_image_tokens × input_image; output likewise); web_search_fee = round_half_even(web_search_requests × rate_per_1k / 10^3); audio_fee = round_half_even(audio_ms × audio_hour / 3.6·10^6), audio billed by its duration at its rate per hour; cost_usd = input + cache_read + cache_write + output + web_search_fee + audio_fee',
    recomputed: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, formatUsd(v)])),
    matches: parts.cost_usd === e.cost_usd,
  };
}

/** Whether any part of the event is billed: a call without (a failed one) is $0 at any rates (pricing/pricer.ts). */
const usedAnything = (e: UsageEvent) =>
  e.input_tokens + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens + e.output_tokens >
    0 ||
  e.web_search_requests > 0 ||
  e.audio_ms > 0;

/** The `ts` of a route that addresses one event, shared so each such route reads it alike. */
const eventTime = z
  .string()
  .describe(
    'the event time: ts_us from the events list (epoch µs), or its ISO-8601 ts; events are stored by time',
  );

/**
 * The event a `/api/events/{event_id}…?ts=` route names, or a 400 naming the malformed part. `ts` is its address
 * beside the id: the ledger is stored by time, so an id alone would mean a full scan.
 */
function eventAddress(path: Record<string, string>, ts: string, now: number): { id: string; ts: number } {
  const id = path.event_id ?? '';
  if (!isLedgerId(id)) throw badParam('event_id', 'expected 16 hex digits, as in the events list');
  let us: number;
  try {
    us = parseEventTime(ts, now);
  } catch {
    throw badParam(
      'ts',
      `${JSON.stringify(ts)} is not an event time; use ts_us from the events list (epoch µs) or the event's ISO-8601 ts`,
    );
  }
  return { id, ts: checkInRange('ts', ts, us) };
}

export const eventEndpoint = endpoint({
  method: 'GET',
  path: '/api/events/{event_id}',
  summary: "One event's full record: usage, rates, price version, cost parts, provider-reported cost",
  params: { ts: eventTime },
  response: z.object({ event: record, cost: z.record(z.string(), z.unknown()) }),
  async handle(c, p, who, path) {
    const { id, ts } = eventAddress(path, p.ts, c.now());
    const found = (await c.store.events({ since: ts, until: ts + 1, limit: 10_000 })).find(
      (e) => e.event_id === id,
    );
    // A scoped viewer gets the same 404 for another team's event as for a missing one: no existence oracle.
    if (found === undefined || !canSee(who, found.team))
      throw new ApiError(
        'API_NOT_FOUND',
        `no event ${id} at ts ${p.ts}; take event_id and ts_us from /api/events`,
      );
    return { event: eventJson(found), cost: costExplanation(found) };
  },
});

/**
 * The text of one gateway call (ledger/call-content.ts). Admin only, viewers of every kind included: prompts hold
 * whatever people paste into them, a class apart from the spend a viewer may see. The role is checked before the
 * route reads anything (api.ts), so a viewer gets the same 403 for any id, existing or not, of any team: no
 * existence oracle.
 */
export const eventContentEndpoint = endpoint({
  method: 'GET',
  path: '/api/events/{event_id}/content',
  summary:
    "One gateway call's stored request and completion text (kept only for virtual keys created with --store-content)",
  admin: true,
  params: { ts: eventTime },
  response: z.object({
    event_id: z.string(),
    ts_us: z.number().int().describe('the event time, epoch µs'),
    request: z.string().describe('the request body exactly as the client sent it'),
    completion: z.string().describe("the answer's text as the client received it (a stream put together)"),
  }),
  async handle(c, p, who, path) {
    const { id, ts } = eventAddress(path, p.ts, c.now());
    const found = await readContent(c.store, c.records.contentAudit, `api:${who.id}`, id, ts);
    if (found === null)
      throw new ApiError(
        'API_NOT_FOUND',
        `no prompt or completion stored for event ${id} at ts ${p.ts}: the text of a call is kept only when it ` +
          'came through the gateway with a virtual key created with `tokenledger keys create --store-content`',
      );
    return callContentJson(found);
  },
});
