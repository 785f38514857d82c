/**
 * Canonical records (JSONL and CSV imports, and our own exports) to events. Shared by sources/jsonl and
 * sources/csv, which only differ in how a line becomes an object.
 */
import type { UnpricedEvent } from '../ledger/event.js';
import { eventId, isLedgerId } from '../ledger/event-id.js';
import { parseCanonicalFast } from '../ledger/fast-schema.js';
import { type CanonicalRecord, canonicalRecordSchema, describeIssues } from '../ledger/schema.js';
import type { ParseContext, Sink } from './source.js';

/**
 * The event id of a canonical record: an id in the ledger's own form (16 hex digits, as exports write) is kept, so
 * export → import is the identity; any other id the record carries is hashed with its source; a record without an
 * id is identified by its content, so the same line imported twice, from any file, is stored once.
 */
function canonicalEventId(r: CanonicalRecord, source: string, raw: Record<string, unknown>): string {
  if (r.event_id && isLedgerId(r.event_id)) return r.event_id;
  if (r.event_id) return eventId(source, r.event_id);
  return eventId(source, 'content', sortedJson(raw));
}

/**
 * JSON with every object's keys sorted, nested ones included (`tags`). A key list as JSON.stringify's replacer also
 * filters nested objects by it, so tags were hashed as `{}` and two records differing only in a tag value were one
 * record: the second was dropped as a duplicate. For a record without tags the text, so the id, is as before.
 */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : sortedJson(x))).join(',')}]`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const keys = Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/**
 * A text field as given: an empty string is not a value (a team named "" would be a group of its own that reads as
 * blank, `--where team=` could not pick it, and an export to CSV and back makes it none), as a CSV's empty cell and
 * an empty gateway header are not; the user's default (`--team`) then fills it as for an absent field.
 */
function given(v: string | null | undefined): string | undefined {
  return v === '' || v === null ? undefined : v;
}

export function recordToEvent(
  r: CanonicalRecord,
  raw: Record<string, unknown>,
  source: string,
  ref: string,
  ctx: ParseContext,
): UnpricedEvent {
  const src = given(r.source) ?? source;
  const d = ctx.defaults ?? {};
  return {
    event_id: canonicalEventId(r, src, raw),
    source: src,
    source_ref: given(r.source_ref) ?? ref,
    ingested_at: ctx.ingestedAt,
    ts: r.ts,
    duration_ms: r.duration_ms ?? null,
    ttft_ms: r.ttft_ms ?? null,
    org: given(r.org) ?? d.org ?? null,
    team: given(r.team) ?? d.team ?? null,
    user: given(r.user) ?? d.user ?? null,
    project: given(r.project) ?? d.project ?? null,
    agent: given(r.agent) ?? null,
    session_id: given(r.session_id) ?? null,
    task_id: given(r.task_id) ?? null,
    environment: given(r.environment) ?? null,
    api_key_id: given(r.api_key_id) ?? null,
    tags: r.tags ?? {},
    provider: given(r.provider) ?? null,
    model: r.model,
    model_requested: given(r.model_requested) ?? null,
    operation: given(r.operation) ?? null,
    service_tier: given(r.service_tier) ?? null,
    route_id: given(r.route_id) ?? null,
    requests: r.requests ?? 1,
    input_tokens: r.input_tokens ?? 0,
    cache_read_tokens: r.cache_read_tokens ?? 0,
    cache_write_5m_tokens: r.cache_write_5m_tokens ?? 0,
    cache_write_1h_tokens: r.cache_write_1h_tokens ?? 0,
    output_tokens: r.output_tokens ?? 0,
    reasoning_tokens: r.reasoning_tokens ?? 0,
    web_search_requests: r.web_search_requests ?? 0,
    input_audio_tokens: r.input_audio_tokens ?? 0,
    output_audio_tokens: r.output_audio_tokens ?? 0,
    input_image_tokens: r.input_image_tokens ?? 0,
    output_image_tokens: r.output_image_tokens ?? 0,
    audio_ms: r.audio_ms ?? 0,
    provider_cost_usd: r.provider_cost_usd ?? null,
    given_cost:
      r.cost_usd === null || r.cost_usd === undefined
        ? null
        : {
            cost_usd: r.cost_usd,
            cost_input: r.cost_input ?? null,
            cost_cache_read: r.cost_cache_read ?? null,
            cost_cache_write: r.cost_cache_write ?? null,
            cost_output: r.cost_output ?? null,
            cost_source: r.cost_source && r.cost_source !== 'unpriced' ? r.cost_source : 'provider',
            price_version: r.price_version ?? null,
          },
    energy_j: r.energy_j ?? null,
    energy_source: r.energy_source ?? null,
    status: r.status ?? 'ok',
    error_type: given(r.error_type) ?? null,
  };
}

/** Validates one object and sends the event, or a skip naming the place and the field, to the sink. */
export function emitRecord(raw: unknown, source: string, ref: string, ctx: ParseContext, sink: Sink): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    sink.skip({ ref, code: 'SRC_BAD_RECORD', reason: 'expected a JSON object with the ledger fields' });
    return;
  }
  const fast = parseCanonicalFast(raw as Record<string, unknown>);
  if (fast) {
    sink.event(recordToEvent(fast, raw as Record<string, unknown>, source, ref, ctx));
    return;
  }
  const parsed = canonicalRecordSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    sink.skip({ ref, code: 'SRC_BAD_RECORD', reason: describeIssues(parsed.error) });
    return;
  }
  sink.event(recordToEvent(parsed.data, raw as Record<string, unknown>, source, ref, ctx));
}
