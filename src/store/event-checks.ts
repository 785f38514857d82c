import {
  COST_SOURCES,
  ENERGY_SOURCES,
  RATE_FIELDS,
  STATUSES,
  USAGE_FIELDS,
  type UsageEvent,
} from '../ledger/event.js';
import { isLedgerId } from '../ledger/event-id.js';
import { storeError } from './errors.js';

/** The largest value a store's 128-bit money and rate columns hold. */
const INT128_MAX = (1n << 127n) - 1n;

/**
 * What every store refuses (STORE_BAD_EVENT), naming the first bad event of the batch. DuckDB's append makes the
 * same checks on its column arrays as it encodes them (duckdb/stage-encode.ts), where a second pass over every event
 * showed in profiles.
 */
export function checkEvents(events: readonly UsageEvent[]): void {
  events.forEach((e, i) => {
    const bad = (what: string) =>
      storeError(
        'STORE_BAD_EVENT',
        `event ${i} of the batch (event_id ${JSON.stringify(e.event_id)}, source_ref ${JSON.stringify(
          e.source_ref,
        )}): ${what}`,
      );
    if (typeof e.event_id !== 'string' || !isLedgerId(e.event_id))
      throw bad('event_id must be 16 lowercase hex digits (ledger/event-id.ts)');
    if (!Number.isSafeInteger(e.ts) || !Number.isSafeInteger(e.ingested_at))
      throw bad('ts and ingested_at must be integer epoch microseconds');
    for (const f of USAGE_FIELDS) {
      const v = e[f];
      if (!Number.isSafeInteger(v) || v < 0) throw bad(`${f} must be a non-negative integer (got ${v})`);
    }
    if (
      e.input_audio_tokens + e.input_image_tokens > e.input_tokens ||
      e.output_audio_tokens + e.output_image_tokens > e.output_tokens
    )
      throw bad(
        'audio and image tokens are parts of input_tokens and output_tokens, so they cannot exceed them',
      );
    if (!STATUSES.includes(e.status) || !COST_SOURCES.includes(e.cost_source))
      throw bad(
        `status must be one of ${STATUSES.join(', ')} and cost_source one of ${COST_SOURCES.join(', ')}`,
      );
    if (e.energy_source !== null && !ENERGY_SOURCES.includes(e.energy_source))
      throw bad(`energy_source must be null or one of ${ENERGY_SOURCES.join(', ')}`);
    for (const f of RATE_FIELDS) {
      const rate = e.rates?.[f];
      if (rate !== undefined && (rate < 0n || rate > INT128_MAX))
        throw bad(`rate ${f} is ${rate < 0n ? 'negative' : 'too large to store'} (${rate})`);
    }
  });
}
