import { TokenledgerError } from '../errors.js';
import { EVENT_FIELDS } from '../ledger/event.js';
import { eventToRecord } from '../ledger/serialize.js';
import { formatTimestamp } from '../ledger/time.js';
import { formatUsd } from '../money/money.js';
import { toCsv } from '../server/api/json.js';
import { type LedgerOptions, withStore } from './context.js';
import { type FilterOptions, nothingMatched, parsePositiveInt, parseRange, whereFilters } from './filters.js';
import { counted, groupedSeconds } from './group-digits.js';

export interface EventsOptions extends LedgerOptions, FilterOptions {
  limit?: string;
  format?: string;
}

/** The audit trail: each event with its cost parts, the rates they came from and the price version. */
export async function eventsCommand(o: EventsOptions, out: (s: string) => void): Promise<void> {
  const format = o.format ?? 'table';
  if (!['table', 'json', 'jsonl', 'csv'].includes(format)) {
    throw new TokenledgerError(
      'CLI_BAD_OPTION',
      `--format ${JSON.stringify(format)}: use table, json, jsonl or csv`,
    );
  }
  const filters = await whereFilters(o);
  const events = await withStore(
    o,
    (store) =>
      store.events({
        filters,
        ...parseRange(o),
        limit: parsePositiveInt('limit', o.limit) ?? 50,
      }),
    { existing: true },
  );
  if (format === 'json') {
    out(
      `${JSON.stringify(
        events.map((e) => eventToRecord(e, true)),
        null,
        2,
      )}\n`,
    );
  } else if (format === 'jsonl') {
    for (const e of events) out(`${JSON.stringify(eventToRecord(e, true))}\n`);
  } else if (format === 'csv') {
    // Objects (tags) as JSON; null as an empty cell, not the text "null". The header also when none matched.
    out(
      toCsv(
        events.map((e) => eventToRecord(e)),
        EVENT_FIELDS,
      ),
    );
  } else {
    // A failed or cut-off call looks like any other in the columns above: say so, when the page has one.
    const withStatus = events.some((e) => e.status !== 'ok');
    // Likewise web searches, whose fee is in cost_usd beside the token parts.
    const withSearches = events.some((e) => e.web_search_requests > 0);
    // And audio, the part of in and out billed at the model's audio rates.
    const withAudio = events.some((e) => e.input_audio_tokens > 0 || e.output_audio_tokens > 0);
    // And images, likewise.
    const withImages = events.some((e) => e.input_image_tokens > 0 || e.output_image_tokens > 0);
    // And audio billed by its duration (seconds, to the ms), whose fee is in cost_usd beside the parts too.
    const withDuration = events.some((e) => e.audio_ms > 0);
    const cols = [
      'ts',
      'event_id',
      'source',
      'user',
      'model',
      'in',
      'cache r',
      'cache w',
      'out',
      ...(withAudio ? ['audio in/out'] : []),
      ...(withImages ? ['image in/out'] : []),
      ...(withSearches ? ['searches'] : []),
      ...(withDuration ? ['audio s'] : []),
      'cost_usd',
      'cost_source',
      'price_version',
      ...(withStatus ? ['status'] : []),
    ];
    const rows = events.map((e) => [
      formatTimestamp(e.ts).slice(0, 19),
      e.event_id,
      e.source,
      e.user ?? '',
      e.model,
      String(e.input_tokens),
      String(e.cache_read_tokens),
      String(e.cache_write_5m_tokens + e.cache_write_1h_tokens),
      String(e.output_tokens),
      ...(withAudio ? [`${e.input_audio_tokens}/${e.output_audio_tokens}`] : []),
      ...(withImages ? [`${e.input_image_tokens}/${e.output_image_tokens}`] : []),
      ...(withSearches ? [String(e.web_search_requests)] : []),
      ...(withDuration ? [groupedSeconds(e.audio_ms)] : []),
      e.cost_usd === null ? 'unpriced' : formatUsd(e.cost_usd),
      e.cost_source,
      e.price_version ?? '',
      ...(withStatus ? [e.status === 'ok' ? '' : e.status] : []),
    ]);
    const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [cols, ...rows])
      out(
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    out(
      events.length === 0
        ? `${nothingMatched(filters)}\n`
        : `${counted(events.length, 'event')} (newest first; --format json shows cost parts and rates)\n`,
    );
  }
}
