import { formatDecimal, formatUsd } from '../money/money.js';
import { RATE_SCALE } from '../pricing/cost.js';
import { EVENT_FIELDS, type UsageEvent } from './event.js';
import { formatTimestamp } from './time.js';

const MONEY = new Set([
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
  'provider_cost_usd',
]);
const TIMES = new Set(['ts', 'ingested_at']);

/**
 * An event as the canonical JSON record (what `export --format jsonl` writes and `import jsonl` reads): money as
 * decimal strings with 12 digits, times as ISO-8601 with microseconds. `withRates` adds the rate card the cost was
 * computed from (USD per 1M tokens, `web_search` per 1,000 searches and `audio_hour` per hour of audio, 18 digits),
 * for the audit trail.
 */
export function eventToRecord(e: UsageEvent, withRates = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of EVENT_FIELDS) {
    const v = e[f];
    if (MONEY.has(f)) out[f] = v === null ? null : formatUsd(v as bigint);
    else if (TIMES.has(f)) out[f] = formatTimestamp(v as number);
    else out[f] = v;
  }
  if (withRates) {
    out.rates = e.rates
      ? Object.fromEntries(Object.entries(e.rates).map(([k, v]) => [k, formatDecimal(v, RATE_SCALE)]))
      : null;
  }
  return out;
}
