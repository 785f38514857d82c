/**
 * Records that provider exports carry besides usage: what the provider billed (cost reports) and what people did
 * with a coding agent (Claude Code analytics). Neither is a usage event: a cost line has no tokens and an activity
 * row has no model, so they travel to the store beside the events (Sink.cost, Sink.activity) and land in tables of
 * their own — costs for reconciliation against our computed cost, activity for the ROI work.
 */
import type { UnpricedEvent } from '../ledger/event.js';
import { FIELD_SKIP, RecordError } from './json-fields.js';
import type { ParseContext } from './source.js';

/** A report's time bucket, epoch microseconds UTC, end exclusive. */
export interface Bucket {
  start: number;
  end: number;
}

const iso = (us: number) => new Date(us / 1000).toISOString().replace('.000Z', 'Z');

/**
 * Refuses (SRC_OPEN_BUCKET) a bucket that had not ended when its file was saved: its counts were still growing.
 * Imported, it would stay short for good — the same bucket exported again later has the same record ids (that is
 * what makes re-importing a page add nothing), so its full counts would be dropped as repeats. Left out, it is
 * imported whole from the first export saved after it ended. The file's mtime is when it was saved; a file copied
 * later without its mtime looks saved later, and its open bucket is taken as it is.
 */
export function assertBucketEnded(bucket: Bucket, ctx: ParseContext, path: string | null): void {
  if (ctx.savedAt === undefined || bucket.end <= ctx.savedAt) return;
  throw new RecordError(
    FIELD_SKIP.openBucket,
    `the bucket ${iso(bucket.start)} to ${iso(bucket.end)} had not ended when this file was saved (${iso(ctx.savedAt)}): its usage was still growing, and a later export of it would be dropped as a repeat; not imported — export it again after it ends and import that file`,
    path,
  );
}

/** One line of a provider's cost report: an amount billed for a time bucket and its group keys. */
export interface ProviderCostRecord {
  /** Deterministic from the source, the bucket and every group key, so re-importing a page adds nothing. */
  record_id: string;
  /** `openai-usage`, `anthropic-usage`. */
  source: string;
  /** Where the record came from: `file:line`. */
  source_ref: string;
  /** Bucket start and end (end exclusive), epoch microseconds UTC. */
  bucket_start: number;
  bucket_end: number;
  provider: string;
  /** OpenAI project id or Anthropic workspace id; null when the report was not grouped by it. */
  project: string | null;
  /** Model as the report wrote it, when the report names one (Anthropic, grouped by description). */
  model: string | null;
  /** OpenAI `line_item`; Anthropic `description` (or `cost_type`/`token_type` when there is no description). */
  line_item: string | null;
  /** Amount in `currency` at 12 fractional digits (pico-units): pico-dollars for USD. Exact, never a float. */
  amount: bigint;
  /** ISO-4217 code, upper case (`USD`). */
  currency: string;
  /** Other group keys the report carried (service_tier, token_type, context_window, …). */
  details: Record<string, string>;
}

/** One actor's Claude Code activity on one day (Anthropic `usage_report/claude_code`). */
export interface ActivityRecord {
  /** Deterministic from the day, the actor and the terminal type. */
  record_id: string;
  /** `anthropic-claude-code`. */
  source: string;
  source_ref: string;
  /** `user_actor` or `api_actor`. */
  actor_type: string;
  /** Email address for a user actor, API key name for an API actor. */
  actor: string;
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  /** Start of that day, epoch microseconds UTC. */
  ts: number;
  num_sessions: number;
  lines_added: number;
  lines_removed: number;
  commits: number;
  pull_requests: number;
  /** Tool decisions flattened to `tool.decision` keys, e.g. `{"edit_tool.accepted": 45, "edit_tool.rejected": 5}`. */
  tool_actions: Record<string, number>;
  /** terminal_type, customer_type, organization_id, … when the report gives them. */
  details: Record<string, string>;
}

/**
 * An event with every optional field empty, the attribution the user gave on the command line applied, and the
 * given identity and time: parsers of provider exports fill in the rest. Exports describe aggregates, so
 * `duration_ms`, `ttft_ms` and the like stay null.
 */
export function blankEvent(
  ctx: ParseContext,
  identity: { event_id: string; source: string; source_ref: string; ts: number; model: string },
): UnpricedEvent {
  const d = ctx.defaults ?? {};
  // Fields are written out rather than spread from `identity`: a spread here made V8 build slow dictionary-mode
  // objects, and this runs once per imported record.
  return {
    event_id: identity.event_id,
    source: identity.source,
    source_ref: identity.source_ref,
    ingested_at: ctx.ingestedAt,
    ts: identity.ts,
    duration_ms: null,
    ttft_ms: null,
    org: d.org ?? null,
    team: d.team ?? null,
    user: d.user ?? null,
    project: d.project ?? null,
    agent: null,
    session_id: null,
    task_id: null,
    environment: null,
    api_key_id: null,
    tags: {},
    provider: null,
    model: identity.model,
    model_requested: identity.model,
    operation: null,
    service_tier: null,
    route_id: null,
    requests: 0,
    input_tokens: 0,
    cache_read_tokens: 0,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    output_tokens: 0,
    reasoning_tokens: 0,
    web_search_requests: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    input_image_tokens: 0,
    output_image_tokens: 0,
    audio_ms: 0,
    energy_j: null,
    energy_source: null,
    status: 'ok',
    error_type: null,
    provider_cost_usd: null,
  };
}

/**
 * Id parts for group keys newer than a source's first id scheme (OpenAI's `group_by=api_source`, `api_key_id` on
 * costs): `name, value` for each one present. Left out when absent, so a page without them keeps the id it always
 * had (re-importing it after an upgrade adds nothing); put in when present, so two results that differ only in them
 * are two records, not one and a "duplicate".
 */
export function laterGroupKeys(keys: Record<string, string | null>): string[] {
  return Object.entries(keys).flatMap(([k, v]) => (v === null ? [] : [k, v]));
}
